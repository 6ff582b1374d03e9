// The interactive backprop graph. mount(element, config) wires the API, the view, the panel and
// the controls around one state object; every change goes through one draw().
//
// Events on the element, for the rest of the page (the plots of the same neuron use them):
//   graph:ready           {values, preset, program}  the first graph is drawn
//   graph:values-changed  {values, preset, program}  the student changed an input or the preset
//   graph:node-selected   {node}                     a node was opened
//   graph:panel-drawn     {node, ms}                 the panel holds the engine's answer
//   graph:set-values      {values}  (listened to)    set inputs from outside; no event echoes back
import { fetchGraph, fetchNode, fetchPresets, GraphError } from "./api.js";
import { buildView, createView, drawView, edgeKey, focusNode, formatNumber, isTensor, nodeTitle, opSymbol } from "./view.js";
import { createPanel, drawPanel } from "./panel.js";
import { createControls, debounce, drawControls } from "./controls.js";
import { createEditor, drawEditor, guessInputs, playgroundHref, readUrlState, writeUrlState } from "./playground.js";

const PLAY_MS = 900; // between two backward steps when playing
const INFIX = ["add", "sub", "mul", "div", "pow", "matmul"];
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
let uid = 0;

function skeleton(element, playground) {
  uid += 1;
  element.classList.add("graph-widget");
  element.insertAdjacentHTML(
    "beforeend",
    `<div class="graph-toolbar"></div>${playground ? '<div class="graph-editor"></div>' : ""}
<div class="graph-main"><p class="graph-legend"><span><i class="swatch is-value"></i><b class="is-value">val</b> value, forward pass</span>
<span><i class="swatch is-grad"></i><b class="is-grad">grad</b> gradient ∂L/∂node, backward pass</span> <span><b>—</b> not computed yet</span></p>
<div class="graph-canvas"></div><p class="graph-pan-hint">The graph is wider than the screen: scroll it sideways, or move with the arrow keys.</p>
<details class="graph-keys"><summary>Keyboard</summary><p id="graph-keys-${uid}">On the graph, the arrow keys move between connected nodes, Home and End jump to the first input and to the loss, Enter or Space opens a node. F, B, P and R step forward, step backward, play and reset.</p></details>
<div class="graph-status" role="alert"></div><div class="graph-steps"></div><p class="graph-narration" aria-live="polite"></p><p class="graph-lesson-check"></p></div>
<div class="graph-side"><section class="graph-panel"></section><div class="graph-settings"><fieldset class="graph-inputs"></fieldset><div class="graph-check"></div></div></div>`,
  );
  const part = (name) => element.querySelector(`.graph-${name}`);
  return Object.fromEntries(["toolbar", "editor", "canvas", "status", "steps", "narration", "lesson-check", "panel", "inputs", "check"].map((n) => [n, part(n)]));
}

/** Mount the widget on `element` ([data-widget="graph"]); `config` is the server's JSON config. */
function mount(element, config = {}) {
  const playground = element.dataset.mode === "playground";
  const state = {
    presets: [],
    presetId: element.dataset.preset || "neuron",
    program: "", // the playground's text (the lesson asks for its preset by id)
    values: {}, // the inputs as the student set them: what the next request sends
    graph: null, // the last good answer of POST /api/graph ...
    body: null, // ... and the request that got it (node details are asked about the same graph)
    selected: null,
    focused: null,
    details: null, // the answer of POST /api/graph/node for the selected node
    cursor: null, // null: all computed; else steps taken, 1..n forward then n+1..2n backward
    current: null, // the node the last step reached
    stepShown: false, // whether the edges show the last step (else the selection's signals)
    playing: false,
    showCheck: false,
    error: null, // the last failure; the last good graph stays drawn
    narration: "",
  };
  const dom = skeleton(element, playground);
  const view = createView(dom.canvas, { onActivate: select, onMove: moveFocus, onIntent: prefetch });
  view.svg.setAttribute("aria-label", "Computation graph, inputs on the left, loss on the right");
  view.svg.setAttribute("aria-describedby", `graph-keys-${uid}`);
  const panel = createPanel(dom.panel);
  const controls = createControls(dom, { onPreset: setPreset, onValue: setValue, onStep: step, onCheck: (on) => set({ showCheck: on }) });
  const editor = playground && createEditor(dom.editor, { onProgram: setProgram });
  const link = !playground && config.playground && dom.toolbar.appendChild(document.createElement("a"));
  if (link) Object.assign(link, { className: "graph-playground-link", textContent: "Open in the playground" });
  const soon = debounce(recompute, 120);
  const later = debounce(recompute, 350); // after typing in the program
  const emit = (name, detail) => element.dispatchEvent(new CustomEvent(`graph:${name}`, { detail }));
  let graphSeq = 0;
  let nodeSeq = 0;
  let early = null; // a node request made on intent (hover, focus), used by the click that follows
  let timer = 0;

  function set(changes) {
    Object.assign(state, changes);
    draw();
  }

  // --- Requests --------------------------------------------------------------------------------

  function requestBody() {
    if (!playground) return { preset: state.presetId, values: { ...state.values } };
    const values = {};
    for (const name of guessInputs(state.program)) values[name] = name in state.values ? state.values[name] : 1;
    return { program: state.program, values };
  }

  async function recompute(fromUser = false) {
    soon.cancel();
    later.cancel();
    const body = requestBody();
    const seq = ++graphSeq;
    try {
      let data;
      for (let tries = 0; !data; tries += 1) {
        try {
          data = await fetchGraph(body);
        } catch (error) {
          // An input the guess missed: give it a value and ask again (a few times at most).
          if (!playground || !error.node || !/^no value given/.test(error.message) || tries > 16) throw error;
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
    const structure = (g) => g && same(g.nodes.map((n) => [n.id, n.parents]), data.nodes.map((n) => [n.id, n.parents]));
    const inputs = data.nodes.filter((n) => n.op === "input");
    const values = Object.fromEntries(inputs.map((n) => [n.id, n.id in state.values ? state.values[n.id] : n.value]));
    if (!structure(state.graph)) {
      clearTimeout(timer);
      const ids = data.nodes.map((n) => n.id);
      Object.assign(state, { cursor: null, current: null, narration: "", playing: false });
      if (!ids.includes(state.selected)) state.selected = null;
      if (!ids.includes(state.focused)) state.focused = (inputs[0] || data.nodes[0]).id;
    }
    const fallback = element.querySelector(".widget-fallback");
    if (fallback) fallback.hidden = true;
    early = null;
    // Until the engine answers about the open node in the new graph, the panel is marked busy.
    set({ graph: data, body, values, error: null, details: same(body, state.body) ? state.details : null });
    if (playground) writeUrlState(state.program, values);
    if (state.selected) load(state.selected, performance.now());
    const detail = { values: { ...values }, preset: playground ? null : state.presetId, program: state.program || null };
    if (first) emit("ready", detail);
    if (fromUser) emit("values-changed", detail);
  }

  function ask(id) {
    const key = JSON.stringify([state.body, id]);
    const promise = early && early.key === key ? early.promise : fetchNode(state.body, id);
    early = null;
    return promise;
  }

  function prefetch(id) {
    const key = JSON.stringify([state.body, id]);
    if (!state.graph || id === state.selected || (early && early.key === key)) return;
    early = { key, promise: fetchNode(state.body, id) };
    early.promise.catch(() => {}); // reported when a click uses it
  }

  async function load(id, started) {
    const seq = ++nodeSeq;
    try {
      const data = await ask(id);
      if (seq !== nodeSeq || state.selected !== id) return;
      if (data.node !== id) throw new GraphError(`The server answered about node ${data.node} when asked about ${id}.`);
      set({ details: data, error: null });
      emit("panel-drawn", { node: id, ms: performance.now() - started });
    } catch (error) {
      if (seq === nodeSeq) set({ error });
    }
  }

  // --- Setters ---------------------------------------------------------------------------------

  function select(id) {
    const started = performance.now();
    if (!state.graph) return;
    load(id, started); // ask first, draw the selection while the engine answers
    set({ selected: id, focused: id, stepShown: false, details: state.selected === id ? state.details : null });
    emit("node-selected", { node: id });
  }

  function moveFocus(id) {
    set({ focused: id });
    focusNode(view, id);
  }

  function setPreset(id, fromUser = true) {
    const preset = state.presets.find((p) => p.id === id);
    if (!preset) return;
    clearTimeout(timer);
    Object.assign(state, { presetId: id, selected: null, details: null, playing: false });
    if (playground) Object.assign(state, { program: preset.program, values: structuredClone(preset.values) });
    else state.values = {};
    recompute(fromUser);
  }

  function setProgram(text) {
    state.program = text;
    later(true);
  }

  function setValue(name, value) {
    state.values = { ...state.values, [name]: value };
    soon(true);
  }

  function onSetValues(event) {
    const inputs = state.graph ? state.graph.nodes.filter((n) => n.op === "input").map((n) => n.id) : [];
    const changes = Object.entries((event.detail && event.detail.values) || {}).filter(([k, v]) => inputs.includes(k) && !same(state.values[k], v));
    if (!changes.length) return;
    set({ values: { ...state.values, ...Object.fromEntries(changes) } });
    soon(false);
  }

  // --- Stepping: n forward steps in topological order, then n backward steps in reverse ----------

  function step(action) {
    if (!state.graph) return;
    const n = state.graph.nodes.length;
    const at = state.cursor === null ? 2 * n : state.cursor;
    if (action !== "play") {
      clearTimeout(timer);
      state.playing = false;
    }
    if (action === "reset") set({ cursor: 0, current: null, playing: false, narration: "Reset: nothing is computed yet. Step the forward pass to compute the values." });
    else if (action === "forward" && (at < n || at >= 2 * n)) reach(at >= 2 * n ? 1 : at + 1);
    else if (action === "backward") at < n ? set({ playing: false, narration: "Finish the forward pass first: the backward pass needs every value." }) : reach(at >= 2 * n ? n + 1 : at + 1);
    else if (action === "play" && state.playing) {
      clearTimeout(timer);
      set({ playing: false, narration: "Paused." });
    }
    else if (action === "play") {
      set({ playing: true, cursor: at < n || at >= 2 * n ? n : at, current: null, narration: "Playing the backward pass: every value is computed; the gradients follow, from the loss back to the inputs." });
      timer = setTimeout(play, PLAY_MS / 2);
    }
  }

  function play() {
    const n = state.graph.nodes.length;
    reach(state.cursor + 1, true);
    if (state.cursor < 2 * n) timer = setTimeout(play, PLAY_MS);
  }

  function reach(cursor, playing = false) {
    const { nodes } = state.graph;
    const n = nodes.length;
    const node = cursor <= n ? nodes[cursor - 1] : nodes[2 * n - cursor];
    const sentence = cursor <= n ? forwardSentence(node) : backwardSentence(node);
    set({ cursor, current: node.id, stepShown: true, playing: playing && cursor < 2 * n, narration: sentence + (cursor === 2 * n ? " The backward pass is complete." : "") });
  }

  const byId = (id) => state.graph.nodes.find((n) => n.id === id);
  const shown = (node, field) => (isTensor(node.shape) ? `a ${node.shape.join("×")} array` : formatNumber(node[field]));

  /** One sentence for a forward step: the node's formula with its numbers. */
  function forwardSentence(node) {
    const name = nodeTitle(node);
    if (node.op === "input") return `Forward: ${name} is an input, ${name} = ${shown(node, "value")}.`;
    if (node.op === "const") return `Forward: the constant ${name}.`;
    const parents = node.parents.map(byId);
    const infix = INFIX.includes(node.op) && parents.length === 2;
    const formula = (f) => (infix ? `${f(parents[0])} ${opSymbol(node.op)} ${f(parents[1])}` : `${node.op}(${parents.map(f).join(", ")})`);
    const text = formula(nodeTitle);
    const head = `Forward: ${name === text ? "" : `${name} = `}${text}`;
    if ([node, ...parents].some((p) => isTensor(p.shape))) return `${head}, ${shown(node, "value")}.`;
    return `${head} = ${formula((p) => shown(p, "value"))} = ${shown(node, "value")}.`;
  }

  /** One sentence for a backward step: the gradient arriving at the node, and from where. */
  function backwardSentence(node) {
    const name = nodeTitle(node);
    if (node.op === "const") return `Backward: ${name} is a constant; no gradient is needed for it.`;
    if (node.id === state.graph.output) return `Backward: start at the loss ${name}, ∂${name}/∂${name} = 1.`;
    const children = state.graph.nodes.filter((c) => c.parents.includes(node.id)).map(nodeTitle);
    const from = children.length > 1 ? `the sum of the signals from ${children.join(" and ")}` : `arriving from ${children[0]}`;
    return `Backward: ∂L/∂${name} = ${shown(node, "grad")}, ${from}${node.op === "input" ? `: the gradient of the loss for the input ${name}` : ""}.`;
  }

  // --- Drawing -----------------------------------------------------------------------------------

  /** What is computed at the current step: never a gradient the backward pass has not reached. */
  function known(index) {
    const n = state.graph.nodes.length;
    return state.cursor === null ? { value: true, grad: true } : { value: state.cursor > index, grad: state.cursor >= 2 * n - index };
  }

  function scene() {
    const { nodes } = state.graph;
    const index = new Map(nodes.map((n, i) => [n.id, i]));
    const signals = new Map();
    const incoming = new Map();
    const forward = new Set();
    const edgesFrom = (id, fn) => nodes.forEach((c) => c.parents.forEach((p, slot) => p === id && fn(edgeKey(p, c.id, slot), c)));
    if (state.stepShown && state.current) {
      const node = byId(state.current);
      if (state.cursor <= nodes.length) node.parents.forEach((p, slot) => forward.add(edgeKey(p, node.id, slot)));
      else edgesFrom(node.id, (key) => signals.set(key, null));
    } else if (state.selected) {
      const node = byId(state.selected);
      const d = state.details && state.details.node === node.id && known(index.get(node.id)).grad ? state.details : null;
      node.parents.forEach((p, slot) => signals.set(edgeKey(p, node.id, slot), d ? d.signals[slot].value : null));
      const arriving = d ? d.incoming.slice() : [];
      edgesFrom(node.id, (key, child) => {
        const found = arriving.findIndex((item) => item.child === child.id);
        incoming.set(key, found >= 0 && known(index.get(child.id)).grad ? arriving.splice(found, 1)[0].value : null);
      });
    }
    const checks = state.showCheck && new Map(state.graph.check.map((r) => [r.input, { ok: r.rel_error !== null && r.rel_error < 1e-4, text: Array.isArray(r.numeric) ? "" : formatNumber(r.numeric) }]));
    const shownNodes = nodes.map((n, i) => ({ ...n, value: known(i).value ? n.value : undefined, grad: known(i).grad ? n.grad : undefined }));
    return { nodes: shownNodes, selected: state.selected, focused: state.focused, current: state.current, signals, incoming, forward, checks };
  }

  /** The lesson's formula for the neuron, dL/dw = (a − y) x, checked against the backward pass. */
  function lessonCheck() {
    const [w, x, a, y] = ["w", "x", "a", "y"].map(byId);
    if (playground || state.presetId !== "neuron" || !w || !x || !a || !y || isTensor(a.shape)) return "";
    if (!known(state.graph.nodes.indexOf(w)).grad) return "From the lesson: ∂L/∂w = (a − y) · x. Step the backward pass to w to compare.";
    const formula = (a.value - y.value) * x.value;
    const ok = Math.abs(formula - w.grad) <= 1e-9 * Math.max(1, Math.abs(w.grad));
    const f = formatNumber;
    return `From the lesson: ∂L/∂w = (a − y) · x = (${f(a.value)} − ${f(y.value)}) × ${f(x.value)} = ${f(formula)}; the backward pass gives ${f(w.grad)} ${ok ? "✓ they agree" : "✗ they differ"}.`;
  }

  function text(node, value, hide = true) {
    if (node.textContent !== value) node.textContent = value;
    node.hidden = hide && !value; // live regions stay in the page, even when empty
  }

  /** The one place that turns the state into what is on screen. */
  function draw() {
    const e = state.error;
    const where = e && e.line ? ` (line ${e.line}${e.column ? `, column ${e.column}` : ""})` : "";
    text(dom.status, e ? `${e.message.replace(/\.$/, "")}${where}.${state.graph ? " The last good graph stays on screen." : ""}` : "", false);
    if (editor) drawEditor(editor, { program: state.program, error: e && e.kind === "input" ? e : null });
    if (!state.graph) return;
    const { nodes } = state.graph;
    buildView(view, nodes, state.graph.output);
    drawView(view, scene());
    const node = state.selected && byId(state.selected);
    const details = node && state.details && state.details.node === node.id ? state.details : null;
    drawPanel(panel, { node, details, known: node && known(nodes.indexOf(node)), nodes: new Map(nodes.map((n) => [n.id, n])) });
    const rows = state.showCheck ? state.graph.check.map((r) => ({ ...r, analytic: known(nodes.findIndex((n) => n.id === r.input)).grad ? r.analytic : undefined })) : [];
    const inputs = nodes.filter((n) => n.op === "input").map((n) => ({ id: n.id, shape: n.shape, value: state.values[n.id] ?? n.value }));
    drawControls(controls, { presets: state.presets, presetId: state.presetId, inputs, steps: { cursor: state.cursor, total: 2 * nodes.length, playing: state.playing }, check: { on: state.showCheck, rows } });
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
  element.addEventListener("graph:set-values", onSetValues);

  // Start: the lesson asks for its preset at once; the playground reads its URL or a preset.
  async function start() {
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
  }
  draw();
  start();
  return state;
}

export { mount };
