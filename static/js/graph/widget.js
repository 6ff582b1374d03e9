// The interactive backprop graph: mount() wires the API, view, panel and controls around one
// state object; every change goes through one draw(). Events on the element, for the page:
// graph:ready and graph:values-changed {values, preset, program} (the first graph; a student's
// change), graph:panel-drawn {node, ms}; it listens to graph:set-values {values} (inputs set
// from outside; no event echoes back).
import { ApiError } from "../api.js";
import { fetchGraph, fetchNode, fetchPresets } from "./api.js";
import { createControls, debounce, drawControls } from "./controls.js";
import { createPanel, drawPanel } from "./panel.js";
import {
  createEditor,
  drawEditor,
  guessInputs,
  playgroundHref,
  readUrlState,
  writeUrlState,
} from "./playground.js";
import {
  buildView,
  createView,
  drawView,
  edgeKey,
  formatNumber as f,
  focusNode,
  isTensor,
  nodeTitle,
  opSymbol,
} from "./view.js";

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
let uid = 0;

function skeleton(element, playground) {
  element.classList.add("graph-widget");
  element.insertAdjacentHTML(
    "beforeend",
    `<div class="graph-toolbar"></div>${playground ? '<div class="graph-editor"></div>' : ""}
<p class="graph-legend"><span><i class="swatch is-value"></i><b class="is-value">val</b> value (forward)</span>
<span><i class="swatch is-grad"></i><b class="is-grad">grad</b> gradient ∂L/∂node (backward)</span> <span><b>—</b> not computed yet</span></p>
<div class="graph-canvas"></div><details class="graph-keys"><summary>Keyboard</summary><p id="graph-keys-${++uid}">Arrows move between nodes, Home and End go to the first input and the loss, Enter or Space opens one; F, B, P, R step and play.</p></details>
<div class="graph-status" role="alert"></div><div class="graph-steps"></div><p class="graph-narration" aria-live="polite"></p><p class="graph-lesson-check"></p>
<div class="graph-side"><section class="graph-panel"></section><div><fieldset class="graph-inputs"></fieldset><div class="graph-check"></div></div></div>`,
  );
  return Object.fromEntries(
    [
      "toolbar",
      "editor",
      "canvas",
      "status",
      "steps",
      "narration",
      "lesson-check",
      "panel",
      "inputs",
      "check",
    ].map((n) => [n, element.querySelector(`.graph-${n}`)]),
  );
}

/** Mount the widget on `element` ([data-widget="graph"]); `config` is the server's JSON config. */
function mount(element, config = {}) {
  const playground = element.dataset.mode === "playground";
  const state = {
    presets: [],
    presetId: element.dataset.preset || "neuron",
    program: "",
    values: {}, // the inputs as set: what the next request sends
    graph: null, // the last good POST /api/graph answer, and its request
    body: null,
    selected: null,
    focused: null, // the graph's one Tab stop
    details: null, // POST /api/graph/node's answer
    cursor: null, // null: all computed; else steps taken, 1..n forward, n+1..2n backward
    current: null, // the node the last step reached
    playing: false,
    showCheck: false,
    error: null, // the last failure (the last good graph stays)
    narration: "",
  };
  const dom = skeleton(element, playground);
  const view = createView(dom.canvas, {
    onActivate: select,
    onMove: (id) => {
      set({ focused: id });
      focusNode(view, id);
    },
  });
  view.svg.setAttribute("aria-label", "Computation graph");
  view.svg.setAttribute("aria-describedby", `graph-keys-${uid}`);
  const panel = createPanel(dom.panel);
  const controls = createControls(dom, {
    onPreset: setPreset,
    onValue: (k, v) => {
      state.values = { ...state.values, [k]: v };
      soon(true);
    },
    onStep: step,
    onCheck: (on) => set({ showCheck: on }),
  });
  const editor =
    playground &&
    createEditor(dom.editor, {
      onProgram: (text) => {
        state.program = text;
        later(true);
      },
    });
  const link =
    !playground && config.playground && dom.toolbar.appendChild(document.createElement("a"));
  if (link)
    Object.assign(link, {
      className: "graph-playground-link",
      textContent: "Open in the playground",
    });
  const soon = debounce(recompute, 120);
  const later = debounce(recompute, 350); // after typing in the program
  const emit = (name, detail) =>
    element.dispatchEvent(new CustomEvent(`graph:${name}`, { detail }));
  const byId = (id) => state.graph.nodes.find((n) => n.id === id);
  let [graphSeq, nodeSeq, timer] = [0, 0, 0];

  function set(changes) {
    Object.assign(state, changes);
    draw();
  }

  async function recompute(fromUser = false) {
    soon.cancel();
    later.cancel();
    const values = {};
    for (const k of playground ? guessInputs(state.program) : []) values[k] = state.values[k] ?? 1;
    const body = playground
      ? { program: state.program, values }
      : { preset: state.presetId, values: { ...state.values } };
    const seq = ++graphSeq;
    try {
      const data = await fetchGraph(body);
      if (seq === graphSeq) accept(data, body, fromUser);
    } catch (error) {
      if (seq === graphSeq) set({ error });
    }
  }

  function accept(data, body, fromUser) {
    const first = !state.graph;
    const inputs = data.nodes.filter((n) => n.op === "input");
    const values = Object.fromEntries(inputs.map((n) => [n.id, state.values[n.id] ?? n.value]));
    const ids = data.nodes.map((n) => n.id);
    if (
      !same(
        state.graph?.nodes.map((n) => [n.id, n.parents]),
        data.nodes.map((n) => [n.id, n.parents]),
      )
    ) {
      clearTimeout(timer);
      Object.assign(state, {
        cursor: null,
        current: null,
        narration: "",
        playing: false,
        selected: ids.includes(state.selected) ? state.selected : null,
      });
      if (!ids.includes(state.focused)) state.focused = (inputs[0] || data.nodes[0]).id;
    }
    element.querySelector(".widget-fallback")?.setAttribute("hidden", "");
    // The open node's panel is busy until the engine answers about the new graph.
    set({
      graph: data,
      body,
      values,
      error: null,
      details: same(body, state.body) ? state.details : null,
    });
    if (playground) writeUrlState(state.program, values);
    if (state.selected) load(state.selected, performance.now());
    const detail = {
      values: { ...values },
      preset: playground ? null : state.presetId,
      program: state.program || null,
    };
    if (first) emit("ready", detail);
    if (fromUser) emit("values-changed", detail);
  }

  async function load(id, started) {
    const seq = ++nodeSeq;
    try {
      const data = await fetchNode(state.body, id);
      if (seq !== nodeSeq || state.selected !== id) return;
      // Never draw an answer to another question (a cache mixing requests up, say).
      if (data.node !== id)
        throw new ApiError(`The server answered about ${data.node}, not ${id}.`);
      set({ details: data, error: null });
      emit("panel-drawn", { node: id, ms: performance.now() - started });
    } catch (error) {
      if (seq === nodeSeq) set({ error });
    }
  }

  function select(id) {
    load(id, performance.now()); // ask first, draw while the engine answers
    set({
      selected: id,
      focused: id,
      current: null,
      details: state.selected === id ? state.details : null,
    });
  }

  function setPreset(id, fromUser = true) {
    const preset = state.presets.find((p) => p.id === id);
    clearTimeout(timer);
    Object.assign(state, {
      presetId: id,
      selected: null,
      details: null,
      playing: false,
      values: {},
    });
    if (playground)
      Object.assign(state, { program: preset.program, values: structuredClone(preset.values) });
    recompute(fromUser);
  }

  function setValues(event) {
    const inputs = state.graph?.nodes.filter((n) => n.op === "input").map((n) => n.id) || [];
    const changes = Object.entries(event.detail?.values || {}).filter(
      ([k, v]) => inputs.includes(k) && !same(state.values[k], v),
    );
    if (!changes.length) return;
    set({ values: { ...state.values, ...Object.fromEntries(changes) } });
    soon(false);
  }

  // Stepping: n forward steps in topological order, then n backward steps in reverse.
  function step(action) {
    if (!state.graph) return;
    const n = state.graph.nodes.length;
    const at = state.cursor ?? 2 * n;
    if (action !== "play" || state.playing) clearTimeout(timer);
    if (action !== "play") state.playing = false;
    if (action === "reset")
      set({ cursor: 0, current: null, narration: "Reset: nothing is computed yet." });
    else if (action === "forward" && (at < n || at === 2 * n)) reach(at === 2 * n ? 1 : at + 1);
    else if (action === "backward")
      at < n
        ? set({ narration: "Finish the forward pass first." })
        : reach(at === 2 * n ? n + 1 : at + 1);
    else if (action === "play" && state.playing) set({ playing: false, narration: "Paused." });
    else if (action === "play") {
      set({
        playing: true,
        cursor: at < n || at === 2 * n ? n : at,
        current: null,
        narration: "Playing the backward pass.",
      });
      timer = setTimeout(function play() {
        reach(state.cursor + 1, true);
        if (state.playing) timer = setTimeout(play, 900);
      }, 450);
    }
  }

  function reach(cursor, playing = false) {
    const n = state.graph.nodes.length;
    const node = state.graph.nodes[cursor <= n ? cursor - 1 : 2 * n - cursor];
    const end = cursor === 2 * n ? " The backward pass is complete." : "";
    set({
      cursor,
      current: node.id,
      playing: playing && !end,
      narration: (cursor <= n ? forward(node) : backward(node)) + end,
    });
  }

  const show = (node, field) =>
    isTensor(node.shape) ? `a ${node.shape.join("×")} array` : f(node[field]);

  /** One sentence for a forward step: the node's formula with its numbers. */
  function forward(node) {
    const name = nodeTitle(node);
    if (node.op === "const") return `Forward: the constant ${name}.`;
    if (node.op === "input")
      return `Forward: ${name} is an input, ${name} = ${show(node, "value")}.`;
    const parents = node.parents.map(byId);
    const infix = parents.length === 2 && opSymbol(node.op).length === 1;
    const formula = (g) =>
      infix
        ? `${g(parents[0])} ${opSymbol(node.op)} ${g(parents[1])}`
        : `${node.op}(${parents.map(g).join(", ")})`;
    const head = `Forward: ${name === formula(nodeTitle) ? "" : `${name} = `}${formula(nodeTitle)}`;
    return [node, ...parents].some((p) => isTensor(p.shape))
      ? `${head}, ${show(node, "value")}.`
      : `${head} = ${formula((p) => show(p, "value"))} = ${show(node, "value")}.`;
  }

  /** One sentence for a backward step: the gradient arriving at the node, and from where. */
  function backward(node) {
    const name = nodeTitle(node);
    if (node.op === "const") return `Backward: ${name} is a constant; it needs no gradient.`;
    if (node.id === state.graph.output)
      return `Backward: start at the loss ${name}, ∂${name}/∂${name} = 1.`;
    const kids = state.graph.nodes.filter((c) => c.parents.includes(node.id)).map(nodeTitle);
    const from =
      kids.length > 1
        ? `the sum of the signals from ${kids.join(" and ")}`
        : `arriving from ${kids[0]}`;
    return `Backward: ∂L/∂${name} = ${show(node, "grad")}, ${from}.`;
  }

  /** What is computed at the current step: never a gradient the backward pass has not reached. */
  function known(node) {
    const i = state.graph.nodes.indexOf(node);
    const c = state.cursor ?? Infinity;
    return { value: c > i, grad: c >= 2 * state.graph.nodes.length - i };
  }

  /** What the view shows: known numbers; the last step's edges or the selected node's signals. */
  function scene() {
    const { nodes } = state.graph;
    const [signals, incoming, forwardEdges] = [new Map(), new Map(), new Set()];
    const outOf = (id, fn) => {
      for (const c of nodes)
        for (const [slot, p] of c.parents.entries()) if (p === id) fn(edgeKey(p, c.id, slot), c);
    };
    const current = state.current && byId(state.current);
    if (current && state.cursor <= nodes.length)
      for (const [slot, p] of current.parents.entries())
        forwardEdges.add(edgeKey(p, current.id, slot));
    else if (current) outOf(current.id, (key) => signals.set(key, null));
    else if (state.selected) {
      const node = byId(state.selected);
      const d = state.details?.node === node.id && known(node).grad && state.details;
      for (const [slot, p] of node.parents.entries())
        signals.set(edgeKey(p, node.id, slot), d ? d.signals[slot].value : undefined);
      const arriving = d ? d.incoming.slice() : [];
      outOf(node.id, (key, child) => {
        const i = arriving.findIndex((item) => item.child === child.id);
        incoming.set(key, i >= 0 && known(child).grad && arriving.splice(i, 1)[0].value);
      });
    }
    const check = (r) => ({
      ok: r.rel_error !== null && r.rel_error < 1e-4,
      text: Array.isArray(r.numeric) ? `rel. error ${r.rel_error?.toExponential(0)}` : f(r.numeric),
    });
    const checks = state.showCheck && new Map(state.graph.check.map((r) => [r.input, check(r)]));
    const shown = nodes.map((n) => ({
      ...n,
      value: known(n).value ? n.value : undefined,
      grad: known(n).grad ? n.grad : undefined,
    }));
    return { ...state, nodes: shown, signals, incoming, forward: forwardEdges, checks };
  }

  /** The lesson's formula for the neuron, dL/dw = (a − y) x, checked against the backward pass. */
  function lessonCheck() {
    const [w, x, a, y] = ["w", "x", "a", "y"].map(byId);
    const head = "From the lesson: ∂L/∂w = (a − y) · x";
    if (playground || state.presetId !== "neuron" || !w || !x || !a || !y) return "";
    if (!known(w).grad) return `${head}. Step the backward pass to w to compare.`;
    const formula = (a.value - y.value) * x.value;
    const ok = Math.abs(formula - w.grad) <= 1e-9 * Math.max(1, Math.abs(w.grad));
    return `${head} = (${f(a.value)} − ${f(y.value)}) × ${f(x.value)} = ${f(formula)}; the backward pass gives ${f(w.grad)} ${ok ? "✓ they agree" : "✗ they differ"}.`;
  }

  /** The one place that turns the state into what is on screen. */
  function draw() {
    const e = state.error;
    const where = e?.line ? ` (line ${e.line}${e.column ? `, column ${e.column}` : ""})` : "";
    dom.status.textContent = e
      ? `${e.message.replace(/\.$/, "")}${where}.${state.graph ? " The last good graph stays on screen." : ""}`
      : "";
    if (editor) drawEditor(editor, { program: state.program, error: e?.kind === "input" && e });
    if (!state.graph) return;
    const { nodes } = state.graph;
    buildView(view, nodes, state.graph.output);
    drawView(view, scene());
    const node = state.selected && byId(state.selected);
    drawPanel(panel, {
      node,
      details: state.details?.node === node?.id && state.details,
      known: node && known(node),
      nodes: new Map(nodes.map((n) => [n.id, n])),
    });
    const inputs = nodes
      .filter((n) => n.op === "input")
      .map((n) => ({ id: n.id, shape: n.shape, value: state.values[n.id] ?? n.value }));
    drawControls(controls, {
      presets: state.presets,
      presetId: state.presetId,
      inputs,
      steps: { cursor: state.cursor, total: 2 * nodes.length, playing: state.playing },
      check: state.showCheck,
    });
    if (dom.narration.textContent !== state.narration) dom.narration.textContent = state.narration; // a live region
    dom["lesson-check"].textContent = lessonCheck();
    const preset = state.presets.find((p) => p.id === state.presetId);
    if (link && preset) link.href = playgroundHref(config.playground, preset.program, state.values);
  }

  element.addEventListener("keydown", (event) => {
    const action = { f: "forward", b: "backward", p: "play", r: "reset" }[event.key.toLowerCase()];
    if (
      !action ||
      event.altKey ||
      event.ctrlKey ||
      event.metaKey ||
      event.target.closest("input, textarea, select")
    )
      return;
    event.preventDefault();
    step(action);
  });
  element.addEventListener("graph:set-values", setValues);

  // The lesson asks for its preset; the playground reads its URL, else opens a preset.
  (async () => {
    const saved = playground && readUrlState();
    if (saved) Object.assign(state, saved, { presetId: null });
    if (saved || !playground) recompute();
    try {
      state.presets = await fetchPresets();
    } catch (error) {
      if (!state.graph) state.error = error;
    }
    const preset =
      !saved &&
      playground &&
      (state.presets.find((p) => p.id === state.presetId) || state.presets[0]);
    if (preset) setPreset(preset.id, false);
    draw();
  })();
  draw();
  return state;
}

export { mount };
