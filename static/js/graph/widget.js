// The interactive backprop graph: mount() wires the API, view, panel and controls around one
// state object; every change goes through one draw(). Events on the element, for the page:
// graph:ready and graph:values-changed {values, preset, program} (the first graph; a student's
// change), graph:node-selected {node}, graph:panel-drawn {node, ms}; it listens to
// graph:set-values {values} (inputs set from outside; no event echoes back).
import { fetchGraph, fetchNode, fetchPresets, GraphError } from "./api.js";
import { buildView, createView, drawView, edgeKey, focusNode, formatNumber as f, isTensor, nodeTitle, opSymbol } from "./view.js";
import { createPanel, drawPanel } from "./panel.js";
import { createControls, debounce, drawControls } from "./controls.js";
import { createEditor, drawEditor, guessInputs, playgroundHref, readUrlState, writeUrlState } from "./playground.js";

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
let uid = 0;

function skeleton(element, playground) {
  element.classList.add("graph-widget");
  element.insertAdjacentHTML(
    "beforeend",
    `<div class="graph-toolbar"></div>${playground ? '<div class="graph-editor"></div>' : ""}
<p class="graph-legend"><span><i class="swatch is-value"></i><b class="is-value">val</b> value (forward)</span>
<span><i class="swatch is-grad"></i><b class="is-grad">grad</b> gradient ∂L/∂node (backward)</span> <span><b>—</b> not computed yet</span></p>
<div class="graph-canvas"></div>
<details class="graph-keys"><summary>Keyboard</summary><p id="graph-keys-${++uid}">Arrows move between connected nodes, Home and End go to the first input and to the loss, Enter or Space opens a node; F, B, P, R step forward, step backward, play, reset.</p></details>
<div class="graph-status" role="alert"></div><div class="graph-steps"></div><p class="graph-narration" aria-live="polite"></p><p class="graph-lesson-check"></p>
<div class="graph-side"><section class="graph-panel"></section><div class="graph-settings"><fieldset class="graph-inputs"></fieldset><div class="graph-check"></div></div></div>`,
  );
  return Object.fromEntries(["toolbar", "editor", "canvas", "status", "steps", "narration", "lesson-check", "panel", "inputs", "check"].map((n) => [n, element.querySelector(`.graph-${n}`)]));
}

/** Mount the widget on `element` ([data-widget="graph"]); `config` is the server's JSON config. */
function mount(element, config = {}) {
  const playground = element.dataset.mode === "playground";
  const state = {
    presets: [],
    presetId: element.dataset.preset || "neuron",
    program: "", // the playground's (the lesson asks for its preset by id)
    values: {}, // the inputs as the student set them: what the next request sends
    graph: null, // the last good answer of POST /api/graph, and the body that asked for it:
    body: null, // node details are asked about the same graph
    selected: null,
    focused: null, // the node holding the graph's one Tab stop
    details: null, // POST /api/graph/node's answer for the selected node
    cursor: null, // null: all computed; else steps taken, 1..n forward, n+1..2n backward
    current: null, // the node the last step reached (its edges are highlighted)
    playing: false,
    showCheck: false,
    error: null, // the last failure; the last good graph stays drawn
    narration: "",
  };
  const dom = skeleton(element, playground);
  const view = createView(dom.canvas, { onActivate: select, onMove: (id) => (set({ focused: id }), focusNode(view, id)), onIntent: prefetch });
  view.svg.setAttribute("aria-label", "Computation graph, inputs on the left, loss on the right");
  view.svg.setAttribute("aria-describedby", `graph-keys-${uid}`);
  const panel = createPanel(dom.panel);
  const controls = createControls(dom, { onPreset: setPreset, onValue: (k, v) => ((state.values = { ...state.values, [k]: v }), soon(true)), onStep: step, onCheck: (on) => set({ showCheck: on }) });
  const editor = playground && createEditor(dom.editor, { onProgram: (text) => ((state.program = text), later(true)) });
  const link = !playground && config.playground && dom.toolbar.appendChild(document.createElement("a"));
  if (link) Object.assign(link, { className: "graph-playground-link", textContent: "Open in the playground" });
  const soon = debounce(recompute, 120);
  const later = debounce(recompute, 350); // after typing in the program
  const emit = (name, detail) => element.dispatchEvent(new CustomEvent(`graph:${name}`, { detail }));
  const byId = (id) => state.graph.nodes.find((n) => n.id === id);
  let [graphSeq, nodeSeq, early, timer] = [0, 0, null, 0]; // early: a node asked about on intent

  function set(changes) {
    Object.assign(state, changes);
    draw();
  }

  async function recompute(fromUser = false) {
    soon.cancel();
    later.cancel();
    const values = {};
    if (playground) for (const k of guessInputs(state.program)) values[k] = state.values[k] ?? 1;
    const body = playground ? { program: state.program, values } : { preset: state.presetId, values: { ...state.values } };
    const seq = ++graphSeq;
    try {
      let data;
      for (let tries = 0; !data; tries += 1) {
        try {
          data = await fetchGraph(body);
        } catch (error) {
          // An input the guess missed: give it a value and ask again.
          if (!playground || !/^no value given/.test(error.message) || tries > 16) throw error;
          body.values[error.node] = 1;
        }
      }
      if (seq !== graphSeq) return;
      // Never draw the answer to another question (a cache mixing requests up): say so instead.
      for (const n of data.nodes) if (n.op === "input" && n.id in body.values && !same(n.value, body.values[n.id])) throw new GraphError(`The server's answer does not match the values sent (${n.id}).`);
      accept(data, body, fromUser);
    } catch (error) {
      if (seq === graphSeq) set({ error });
    }
  }

  function accept(data, body, fromUser) {
    const first = !state.graph;
    const inputs = data.nodes.filter((n) => n.op === "input");
    const values = Object.fromEntries(inputs.map((n) => [n.id, state.values[n.id] ?? n.value]));
    const shape = (g) => g && g.nodes.map((n) => [n.id, n.parents]);
    if (!same(shape(state.graph), shape(data))) {
      clearTimeout(timer);
      const ids = data.nodes.map((n) => n.id);
      Object.assign(state, { cursor: null, current: null, narration: "", playing: false });
      if (!ids.includes(state.selected)) state.selected = null;
      if (!ids.includes(state.focused)) state.focused = (inputs[0] || data.nodes[0]).id;
    }
    element.querySelector(".widget-fallback")?.setAttribute("hidden", "");
    early = null;
    // Until the engine answers about the open node in the new graph, the panel shows it is busy.
    set({ graph: data, body, values, error: null, details: same(body, state.body) ? state.details : null });
    if (playground) writeUrlState(state.program, values);
    if (state.selected) load(state.selected, performance.now());
    const detail = { values: { ...values }, preset: playground ? null : state.presetId, program: state.program || null };
    if (first) emit("ready", detail);
    if (fromUser) emit("values-changed", detail);
  }

  /** Ask about a node early, on intent (hover, focus); the click that follows uses the answer. */
  function prefetch(id, use = false) {
    const key = JSON.stringify([state.body, id]);
    if (!early || early.key !== key) early = state.graph && { key, promise: fetchNode(state.body, id) };
    early?.promise.catch(() => {}); // reported when a click uses it
    const promise = use && early.promise;
    if (use) early = null;
    return promise;
  }

  async function load(id, started) {
    const seq = ++nodeSeq;
    try {
      const data = await prefetch(id, true);
      if (seq !== nodeSeq || state.selected !== id) return;
      if (data.node !== id) throw new GraphError(`The server answered about node ${data.node} when asked about ${id}.`);
      set({ details: data, error: null });
      emit("panel-drawn", { node: id, ms: performance.now() - started });
    } catch (error) {
      if (seq === nodeSeq) set({ error });
    }
  }

  function select(id) {
    const started = performance.now();
    if (!state.graph) return;
    load(id, started); // ask first, then draw the selection while the engine answers
    set({ selected: id, focused: id, current: null, details: state.selected === id ? state.details : null });
    emit("node-selected", { node: id });
  }

  function setPreset(id, fromUser = true) {
    const preset = state.presets.find((p) => p.id === id);
    clearTimeout(timer);
    Object.assign(state, { presetId: id, selected: null, details: null, playing: false, values: {} });
    if (playground) Object.assign(state, { program: preset.program, values: structuredClone(preset.values) });
    recompute(fromUser);
  }

  function setValues(event) {
    const inputs = state.graph ? state.graph.nodes.filter((n) => n.op === "input").map((n) => n.id) : [];
    const changes = Object.entries(event.detail?.values || {}).filter(([k, v]) => inputs.includes(k) && !same(state.values[k], v));
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
    if (action === "reset") set({ cursor: 0, current: null, narration: "Reset: nothing is computed yet. Step the forward pass." });
    else if (action === "forward" && (at < n || at >= 2 * n)) reach(at >= 2 * n ? 1 : at + 1);
    else if (action === "backward") at < n ? set({ narration: "Finish the forward pass first: the backward pass needs every value." }) : reach(at >= 2 * n ? n + 1 : at + 1);
    else if (action === "play" && state.playing) set({ playing: false, narration: "Paused." });
    else if (action === "play") {
      set({ playing: true, cursor: at < n || at >= 2 * n ? n : at, current: null, narration: "Playing the backward pass, from the loss back to the inputs." });
      timer = setTimeout(play, 450);
    }
  }

  function play() {
    reach(state.cursor + 1, true);
    if (state.playing) timer = setTimeout(play, 900);
  }

  function reach(cursor, playing = false) {
    const { nodes } = state.graph;
    const n = nodes.length;
    const node = cursor <= n ? nodes[cursor - 1] : nodes[2 * n - cursor];
    const end = cursor === 2 * n ? " The backward pass is complete." : "";
    set({ cursor, current: node.id, playing: playing && !end, narration: (cursor <= n ? forward(node) : backward(node)) + end });
  }

  const show = (node, field) => (isTensor(node.shape) ? `a ${node.shape.join("×")} array` : f(node[field]));

  /** One sentence for a forward step: the node's formula with its numbers. */
  function forward(node) {
    const name = nodeTitle(node);
    if (node.op === "input") return `Forward: ${name} is an input, ${name} = ${show(node, "value")}.`;
    if (node.op === "const") return `Forward: the constant ${name}.`;
    const parents = node.parents.map(byId);
    const infix = parents.length === 2 && opSymbol(node.op).length === 1;
    const formula = (g) => (infix ? `${g(parents[0])} ${opSymbol(node.op)} ${g(parents[1])}` : `${node.op}(${parents.map(g).join(", ")})`);
    const head = `Forward: ${name === formula(nodeTitle) ? "" : `${name} = `}${formula(nodeTitle)}`;
    if ([node, ...parents].some((p) => isTensor(p.shape))) return `${head}, ${show(node, "value")}.`;
    return `${head} = ${formula((p) => show(p, "value"))} = ${show(node, "value")}.`;
  }

  /** One sentence for a backward step: the gradient arriving at the node, and from where. */
  function backward(node) {
    const name = nodeTitle(node);
    if (node.op === "const") return `Backward: ${name} is a constant; it needs no gradient.`;
    if (node.id === state.graph.output) return `Backward: start at the loss ${name}, ∂${name}/∂${name} = 1.`;
    const kids = state.graph.nodes.filter((c) => c.parents.includes(node.id)).map(nodeTitle);
    const from = kids.length > 1 ? `the sum of the signals from ${kids.join(" and ")}` : `arriving from ${kids[0]}`;
    return `Backward: ∂L/∂${name} = ${show(node, "grad")}, ${from}${node.op === "input" ? `: the gradient for the input ${name}` : ""}.`;
  }

  /** What is computed at the current step: never a gradient the backward pass has not reached. */
  function known(node) {
    const n = state.graph.nodes.length;
    const i = state.graph.nodes.indexOf(node);
    return state.cursor === null ? { value: true, grad: true } : { value: state.cursor > i, grad: state.cursor >= 2 * n - i };
  }

  /** The highlighted edges: the last step's, else the signals the selected node sends and gets. */
  function scene() {
    const { nodes } = state.graph;
    const [signals, incoming, forwardEdges] = [new Map(), new Map(), new Set()];
    const into = (node, fn) => node.parents.forEach((p, slot) => fn(edgeKey(p, node.id, slot), slot));
    const outOf = (id, fn) => nodes.forEach((c) => c.parents.forEach((p, slot) => p === id && fn(edgeKey(p, c.id, slot), c)));
    const step = state.current && byId(state.current);
    if (step && state.cursor <= nodes.length) into(step, (key) => forwardEdges.add(key));
    else if (step) outOf(step.id, (key) => signals.set(key, null));
    else if (state.selected) {
      const node = byId(state.selected);
      const d = state.details?.node === node.id && known(node).grad ? state.details : null;
      into(node, (key, slot) => signals.set(key, d ? d.signals[slot].value : null));
      const arriving = d ? d.incoming.slice() : [];
      outOf(node.id, (key, child) => {
        const i = arriving.findIndex((item) => item.child === child.id);
        incoming.set(key, i >= 0 && known(child).grad ? arriving.splice(i, 1)[0].value : null);
      });
    }
    // The gradient check: each input's numerical gradient, under its analytic one.
    const check = (r) => ({ ok: r.rel_error !== null && r.rel_error < 1e-4, text: Array.isArray(r.numeric) ? `rel. error ${r.rel_error?.toExponential(0)}` : f(r.numeric) });
    const checks = state.showCheck && new Map(state.graph.check.map((r) => [r.input, check(r)]));
    const shown = nodes.map((n) => ({ ...n, value: known(n).value ? n.value : undefined, grad: known(n).grad ? n.grad : undefined }));
    return { nodes: shown, selected: state.selected, focused: state.focused, current: state.current, signals, incoming, forward: forwardEdges, checks };
  }

  /** The lesson's formula for the neuron, dL/dw = (a − y) x, checked against the backward pass. */
  function lessonCheck() {
    const [w, x, a, y] = ["w", "x", "a", "y"].map(byId);
    if (playground || state.presetId !== "neuron" || !w || !x || !a || !y) return "";
    const head = "From the lesson: ∂L/∂w = (a − y) · x";
    if (!known(w).grad) return `${head}. Step the backward pass to w to compare.`;
    const formula = (a.value - y.value) * x.value;
    const ok = Math.abs(formula - w.grad) <= 1e-9 * Math.max(1, Math.abs(w.grad));
    return `${head} = (${f(a.value)} − ${f(y.value)}) × ${f(x.value)} = ${f(formula)}; the backward pass gives ${f(w.grad)} ${ok ? "✓ they agree" : "✗ they differ"}.`;
  }

  function text(node, value, hide = true) {
    if (node.textContent !== value) node.textContent = value;
    node.hidden = hide && !value; // live regions stay in the page, even when empty
  }

  /** The one place that turns the state into what is on screen. */
  function draw() {
    const e = state.error;
    const where = e?.line ? ` (line ${e.line}${e.column ? `, column ${e.column}` : ""})` : "";
    text(dom.status, e ? `${e.message.replace(/\.$/, "")}${where}.${state.graph ? " The last good graph stays on screen." : ""}` : "", false);
    if (editor) drawEditor(editor, { program: state.program, error: e?.kind === "input" && e });
    if (!state.graph) return;
    const { nodes } = state.graph;
    buildView(view, nodes, state.graph.output);
    drawView(view, scene());
    const node = state.selected && byId(state.selected);
    const details = node && state.details?.node === node.id ? state.details : null;
    drawPanel(panel, { node, details, known: node && known(node), nodes: new Map(nodes.map((n) => [n.id, n])) });
    const inputs = nodes.filter((n) => n.op === "input").map((n) => ({ id: n.id, shape: n.shape, value: state.values[n.id] ?? n.value }));
    drawControls(controls, { presets: state.presets, presetId: state.presetId, inputs, steps: { cursor: state.cursor, total: 2 * nodes.length, playing: state.playing }, check: state.showCheck });
    text(dom.narration, state.narration, false);
    text(dom["lesson-check"], lessonCheck());
    const preset = state.presets.find((p) => p.id === state.presetId);
    if (link && preset) link.href = playgroundHref(config.playground, preset.program, state.values);
  }

  element.addEventListener("keydown", (event) => {
    const action = { f: "forward", b: "backward", p: "play", r: "reset" }[event.key.toLowerCase()];
    if (!action || event.altKey || event.ctrlKey || event.metaKey || event.target.closest("input, textarea, select")) return;
    event.preventDefault();
    step(action);
  });
  element.addEventListener("graph:set-values", setValues);

  // The lesson asks for its preset at once; the playground reads its URL, else opens a preset.
  (async () => {
    const saved = playground && readUrlState();
    if (saved) Object.assign(state, saved, { presetId: null });
    if (saved || !playground) recompute();
    try {
      state.presets = await fetchPresets();
    } catch (error) {
      if (!state.graph) state.error = error;
    }
    const preset = !saved && playground && (state.presets.find((p) => p.id === state.presetId) || state.presets[0]);
    if (preset) setPreset(preset.id, false);
    draw();
  })();
  draw();
  return state;
}

export { mount };
