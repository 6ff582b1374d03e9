// Your turn on the graphs: each preset drawn with the lesson widget's own view (graph/view.js),
// every node coloured by the share of wrong first tries at its steps; selecting a node (click,
// Enter or Space; arrows move) lists its most common notes with their counts.
import { request } from "../api.js";
import { element as make } from "../dom.js";
import { buildView, createView, drawView, focusNode } from "../graph/view.js";
import { graphScene, nodeCaption, nodeDetails, nodeSummaries, percent } from "./dashboard-model.js";

/** Room under the lowest nodes for their caption (the view's margin holds a focus ring only). */
function roomForCaptions(view) {
  const box = view.svg.getAttribute("viewBox");
  if (!box || view.svg.dataset.captioned === box) return;
  const [x, y, w, h] = box.split(" ").map(Number);
  const taller = `${x} ${y} ${w} ${h + 22}`;
  view.svg.setAttribute("viewBox", taller);
  view.svg.dataset.captioned = taller;
}

/** One preset's figure in `host`: heading, graph and the selected node's details. */
function mountGraph(host, preset, steps, titles) {
  // graph-widget: the colours and type of the lesson's widget (graph.css), dark mode included.
  const section = make("section", {
    class: "dashboard-graph graph-widget",
    "data-graph": preset.id,
  });
  const heading = make("h3", { id: `graph-${preset.id}-title` }, preset.title);
  const canvas = make("div", { class: "graph-canvas" });
  const details = make("div", { class: "dashboard-node", "aria-live": "polite" });
  details.append(
    make("p", { class: "dashboard-help" }, "Select a node to see the mistakes made there."),
  );
  section.append(heading, canvas, details);
  host.append(section);
  const summaries = nodeSummaries(steps, preset.id);
  let state = { graph: null, selected: null, focused: null };

  const view = createView(canvas, {
    onActivate: (id) => set({ selected: id, focused: id }),
    onMove: (id) => {
      set({ focused: id });
      focusNode(view, id);
    },
    onResize: () => draw(),
  });
  view.svg.setAttribute("aria-labelledby", heading.id);

  function set(changes) {
    const before = state.selected;
    state = { ...state, ...changes };
    draw();
    if (state.selected !== before) drawDetails();
  }

  function draw() {
    if (!state.graph) return;
    buildView(view, state.graph.nodes, state.graph.output);
    roomForCaptions(view);
    drawView(view, graphScene(state.graph, summaries, state.selected, state.focused));
    for (const [id, item] of view.nodes) {
      const summary = summaries.get(id);
      item.node.dataset.wrong = String(summary ? summary.level : 0);
      // The view names the node by its value and gradient; the teacher also hears the share.
      const label = item.node.getAttribute("aria-label");
      item.node.setAttribute("aria-label", `${label}. ${nodeCaption(summary)}`);
    }
  }

  function drawDetails() {
    const info = nodeDetails(state.graph, summaries, state.selected);
    if (!info) return;
    const parts = [make("h4", {}, `${info.title}: ${info.caption}`)];
    if (info.notes.length) {
      const list = make("ol", { class: "dashboard-notes" });
      // The note's words; its id stays on the item (data-note) for tests and the CSV.
      for (const { note, count } of info.notes)
        list.append(make("li", { "data-note": note }, `${titles[note] || note}: ${count}`));
      parts.push(make("p", {}, "Most common mistakes (wrong answers of every try):"), list);
    } else parts.push(make("p", {}, "No wrong answers here."));
    if (info.steps.length) {
      const list = make("ul", { class: "dashboard-steps" });
      for (const step of info.steps)
        list.append(
          make(
            "li",
            {},
            `${step.label}: ${step.attempts} tried, ${percent(step.firstTryCorrect)} right at the first try`,
          ),
        );
      parts.push(list);
    }
    details.replaceChildren(...parts);
  }

  request("graph", { body: { preset: preset.id } })
    .then((graph) => set({ graph, focused: graph.nodes[0]?.id }))
    .catch((error) => {
      canvas.append(make("p", { class: "widget-error", role: "status" }, error.message));
    });
  return section;
}

/** Every preset's figure, and a line for the steps of other graphs (typed in the playground). */
function renderGraphs(host, presets, steps, titles = {}) {
  host.replaceChildren();
  for (const preset of presets) mountGraph(host, preset, steps, titles);
  const known = new Set(presets.map((p) => p.id));
  const others = steps.filter((s) => !known.has(s.graph));
  if (others.length) {
    const tried = others.reduce((sum, s) => sum + s.attempts, 0);
    host.append(
      make(
        "p",
        { class: "dashboard-help" },
        `Steps on students' own graphs: ${tried} first tries (in the CSV).`,
      ),
    );
  }
}

export { renderGraphs };
