// The interactive backprop graph: mount(element, config) wires the API, the view, the panel and
// the controls around one state object, and every change goes through one draw().
import { fetchGraph, fetchNode, fetchPresets, GraphError, isAbort } from "./api.js";
import { buildView, createView, drawView, edgeKey, focusNode, formatNumber, formatShape, isTensor, nodeTitle, OP_SYMBOLS } from "./view.js";
import { createPanel, drawPanel } from "./panel.js";
import { createControls, debounce, drawControls } from "./controls.js";
import { createEditor, drawEditor, guessInputs, playgroundHref, readUrlState, writeUrlState } from "./playground.js";

const VALUE_DELAY = 120; // ms of quiet after a slider move before the engine recomputes
const PROGRAM_DELAY = 350; // ms of quiet after typing in the program
const PLAY_DELAY = 900; // ms between two backward steps when playing
const CHECK_TOLERANCE = 1e-4; // relative error under which analytic and numerical gradients agree
const INFIX = new Set(["add", "sub", "mul", "div", "pow", "matmul"]);

function make(tag, className, attributes = {}) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

/** The widget's DOM: toolbar, (editor), legend, canvas, steps, narration, panel, inputs, check. */
function buildSkeleton(element, mode) {
  element.classList.add("graph-widget");
  const dom = {};
  dom.toolbar = make("div", "graph-toolbar");
  dom.editor = mode === "playground" ? make("div", "graph-editor") : null;
  const layout = make("div", "graph-layout");
  const main = make("div", "graph-main");
  const side = make("div", "graph-side");
  dom.legend = make("p", "graph-legend");
  dom.legend.innerHTML =
    '<span class="graph-legend-item"><span class="swatch is-value" aria-hidden="true"></span><b class="is-value">val</b> value, forward pass</span> ' +
    '<span class="graph-legend-item"><span class="swatch is-grad" aria-hidden="true"></span><b class="is-grad">grad</b> gradient ∂L/∂node, backward pass</span> ' +
    '<span class="graph-legend-item"><b>—</b> not computed yet</span>';
  dom.canvas = make("div", "graph-canvas");
  dom.keys = make("details", "graph-keys");
  const summary = make("summary");
  summary.textContent = "Keyboard";
  const keys = make("p");
  keys.id = `graph-keys-${Math.random().toString(36).slice(2, 8)}`;
  keys.textContent =
    "On the graph, the arrow keys move between connected nodes, Home and End jump to the first input and to the loss, Enter or Space opens a node. F, B, P and R step forward, step backward, play and reset.";
  dom.keys.append(summary, keys);
  dom.keysText = keys;
  dom.status = make("div", "graph-status", { role: "alert" });
  dom.steps = make("div", "graph-steps");
  dom.narration = make("p", "graph-narration", { "aria-live": "polite" });
  dom.lessonCheck = make("p", "graph-lesson-check");
  dom.panel = make("section", "graph-panel");
  dom.inputs = make("fieldset", "graph-inputs");
  dom.check = make("div", "graph-check");
  const settings = make("div", "graph-settings");
  dom.panHint = make("p", "graph-pan-hint");
  dom.panHint.textContent = "The graph is wider than the screen: scroll it sideways, or move with the arrow keys.";
  main.append(dom.legend, dom.canvas, dom.panHint, dom.keys, dom.status, dom.steps, dom.narration, dom.lessonCheck);
  settings.append(dom.inputs, dom.check);
  side.append(dom.panel, settings);
  layout.append(main, side);
  element.append(...[dom.toolbar, dom.editor, layout].filter(Boolean));
  return dom;
}

/** Mount the widget on `element` ([data-widget="graph"]); `config` is the server's JSON config. */
function mount(element, config = {}) {
  const mode = element.dataset.mode === "playground" ? "playground" : "lesson";
  const state = {
    mode,
    presets: [],
    presetId: element.dataset.preset || "neuron",
    program: "", // the playground's text (the lesson asks for presets by id)
    values: {}, // the inputs as the student set them: the source of truth for the next request
    graph: null, // the last good answer of POST /api/graph
    goodBody: null, // the request that produced it (node details are asked about the same graph)
    selected: null,
    focused: null,
    details: null, // the answer of POST /api/graph/node for the selected node
    cursor: null, // null: everything computed; 0..2n: steps taken (n forward, then n backward)
    current: null, // the node the last step reached
    highlight: "selection", // what the edges show: the selection's signals or the last step's
    playing: false,
    showCheck: false,
    error: null, // the last failure, in words; the last good graph stays drawn
    narration: "",
    fromUser: false, // whether the pending recompute comes from the student (then tell the page)
  };
  const dom = buildSkeleton(element, mode);
  const fallback = element.querySelector(".widget-fallback");
  const view = createView(dom.canvas, { onActivate: selectNode, onMove: moveFocus });
  view.svg.setAttribute("aria-label", "Computation graph, inputs on the left, loss on the right");
  view.svg.setAttribute("aria-describedby", dom.keysText.id);
  const panel = createPanel(dom.panel);
  const controls = createControls(
    { toolbar: dom.toolbar, steps: dom.steps, inputs: dom.inputs, check: dom.check },
    { onPreset: setPreset, onValue: setValue, onStep: step, onCheck: setCheck },
  );
  const editor = dom.editor ? createEditor(dom.editor, { onProgram: setProgram }) : null;
  let link = null;
  if (mode === "lesson" && config.playground) {
    link = make("a", "graph-playground-link");
    link.textContent = "Open in the playground";
    dom.toolbar.append(link);
  }
  const recomputeSoon = debounce(recompute, VALUE_DELAY);
  const recomputeProgram = debounce(recompute, PROGRAM_DELAY);
  let graphRequest = { seq: 0, controller: null };
  let nodeRequest = { seq: 0, controller: null };
  let playTimer = 0;

  // --- Requests --------------------------------------------------------------------------------

  function requestBody() {
    if (mode === "lesson") return { preset: state.presetId, values: { ...state.values } };
    const names = guessInputs(state.program);
    const values = {};
    for (const name of names) values[name] = name in state.values ? state.values[name] : 1;
    return { program: state.program, values };
  }

  async function recompute() {
    recomputeSoon.cancel();
    recomputeProgram.cancel();
    const body = requestBody();
    const seq = ++graphRequest.seq;
    if (graphRequest.controller) graphRequest.controller.abort();
    const controller = new AbortController();
    graphRequest.controller = controller;
    const fromUser = state.fromUser;
    state.fromUser = false;
    try {
      let data;
      for (let attempt = 0; ; attempt += 1) {
        try {
          data = await fetchGraph(body, { signal: controller.signal });
          break;
        } catch (error) {
          // A new input the guess missed: give it a value and ask again (a few times at most).
          const missing = mode === "playground" && error.node && /^no value given/.test(error.message) && !(error.node in body.values);
          if (!missing || attempt > 16) throw error;
          body.values[error.node] = 1;
        }
      }
      if (seq !== graphRequest.seq) return;
      checkAnswer(data, body);
      applyGraph(data, body, fromUser);
    } catch (error) {
      if (isAbort(error) || seq !== graphRequest.seq) return;
      state.error = error;
      draw();
    }
  }

  /** Never draw an answer to another question (a cache mixing up requests, say): say so instead. */
  function checkAnswer(data, body) {
    const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
    for (const node of data.nodes) {
      if (node.op === "input" && body.values && node.id in body.values && !same(node.value, body.values[node.id])) {
        throw new GraphError(`The server's answer does not match the values sent (${node.id}); the last good graph stays on screen.`);
      }
    }
  }

  function applyGraph(data, body, fromUser) {
    const before = state.graph ? JSON.stringify(state.graph.nodes.map((n) => [n.id, n.parents])) : "";
    const after = JSON.stringify(data.nodes.map((n) => [n.id, n.parents]));
    state.graph = data;
    state.goodBody = body;
    state.error = null;
    const inputs = data.nodes.filter((n) => n.op === "input");
    const values = {};
    for (const n of inputs) values[n.id] = n.id in state.values ? state.values[n.id] : n.value;
    state.values = values;
    if (before !== after) {
      stopPlaying();
      state.cursor = null;
      state.current = null;
      state.narration = "";
      const ids = new Set(data.nodes.map((n) => n.id));
      if (!ids.has(state.selected)) state.selected = null;
      if (!ids.has(state.focused)) state.focused = (inputs[0] || data.nodes[0]).id;
    }
    state.details = state.details && state.details.node === state.selected ? state.details : null;
    if (fallback) fallback.hidden = true;
    if (mode === "playground") writeUrlState(state.program, values);
    draw();
    if (state.selected) loadDetails(state.selected, performance.now());
    const detail = { values: { ...values }, preset: mode === "lesson" ? state.presetId : null, program: state.program || null };
    if (!before) element.dispatchEvent(new CustomEvent("graph:ready", { detail }));
    if (fromUser) element.dispatchEvent(new CustomEvent("graph:values-changed", { detail }));
  }

  async function loadDetails(id, started) {
    const seq = ++nodeRequest.seq;
    if (nodeRequest.controller) nodeRequest.controller.abort();
    const controller = new AbortController();
    nodeRequest.controller = controller;
    try {
      const data = await fetchNode(state.goodBody, id, { signal: controller.signal });
      if (seq !== nodeRequest.seq || state.selected !== id) return;
      if (data.node !== id) throw new GraphError(`The server answered about node ${data.node} when asked about ${id}; nothing is shown rather than the wrong numbers.`);
      state.details = data;
      if (state.error && state.error.kind === "network") state.error = null;
      draw();
      element.dispatchEvent(new CustomEvent("graph:panel-drawn", { detail: { node: id, ms: performance.now() - started } }));
    } catch (error) {
      if (isAbort(error) || seq !== nodeRequest.seq) return;
      state.error = error;
      draw();
    }
  }

  // --- Setters: each changes the state and calls draw() ---------------------------------------

  function selectNode(id) {
    const started = performance.now();
    if (!state.graph) return;
    if (state.selected !== id) state.details = null;
    state.selected = id;
    state.focused = id;
    state.highlight = "selection";
    draw();
    loadDetails(id, started);
    element.dispatchEvent(new CustomEvent("graph:node-selected", { detail: { node: id } }));
  }

  function moveFocus(id) {
    state.focused = id;
    draw();
    focusNode(view, id);
  }

  function setPreset(id) {
    const preset = state.presets.find((p) => p.id === id);
    if (!preset) return;
    state.presetId = id;
    state.selected = null;
    state.details = null;
    if (mode === "playground") {
      state.program = preset.program;
      state.values = structuredClone(preset.values || {});
    } else {
      state.values = {};
    }
    stopPlaying();
    state.fromUser = true;
    recompute();
  }

  function setProgram(text) {
    state.program = text;
    state.fromUser = true;
    recomputeProgram();
  }

  function setValue(name, value) {
    state.values = { ...state.values, [name]: value };
    state.fromUser = true;
    recomputeSoon();
  }

  /** Values from elsewhere on the page (the plots of the same neuron): no event echoes back. */
  function onSetValues(event) {
    const incoming = (event.detail && event.detail.values) || {};
    const known = state.graph ? new Set(state.graph.nodes.filter((n) => n.op === "input").map((n) => n.id)) : new Set();
    const values = { ...state.values };
    let changed = false;
    for (const [name, value] of Object.entries(incoming)) {
      if (!known.has(name) || JSON.stringify(values[name]) === JSON.stringify(value)) continue;
      values[name] = value;
      changed = true;
    }
    if (!changed) return;
    state.values = values;
    draw();
    recomputeSoon();
  }

  function setCheck(on) {
    state.showCheck = on;
    draw();
  }

  // --- Stepping --------------------------------------------------------------------------------

  function stopPlaying() {
    clearTimeout(playTimer);
    state.playing = false;
  }

  function step(action) {
    if (!state.graph) return;
    const nodes = state.graph.nodes;
    const n = nodes.length;
    const cursor = state.cursor === null ? 2 * n : state.cursor;
    if (action === "reset") {
      stopPlaying();
      state.cursor = 0;
      state.current = null;
      state.narration = "Reset: nothing is computed yet. Step the forward pass to compute the values.";
    } else if (action === "forward") {
      stopPlaying();
      if (cursor >= n && cursor < 2 * n) return;
      const at = cursor >= 2 * n ? 1 : cursor + 1;
      takeStep(at);
    } else if (action === "backward") {
      stopPlaying();
      if (cursor < n) {
        state.narration = "Finish the forward pass first: the backward pass needs every value.";
      } else {
        takeStep(cursor >= 2 * n ? n + 1 : cursor + 1);
      }
    } else if (action === "play") {
      if (state.playing) {
        stopPlaying();
        state.narration = "Paused.";
      } else {
        state.playing = true;
        state.cursor = cursor < n || cursor >= 2 * n ? n : cursor;
        state.current = null;
        state.narration = "Playing the backward pass: every value is computed; the gradients follow, from the loss back to the inputs.";
        playTimer = setTimeout(playNext, PLAY_DELAY / 2);
      }
    }
    draw();
  }

  function playNext() {
    if (!state.playing || !state.graph) return;
    const n = state.graph.nodes.length;
    takeStep(state.cursor + 1);
    if (state.cursor >= 2 * n) state.playing = false;
    else playTimer = setTimeout(playNext, PLAY_DELAY);
    draw();
  }

  function takeStep(at) {
    const nodes = state.graph.nodes;
    const n = nodes.length;
    state.cursor = at;
    state.highlight = "step";
    const node = at <= n ? nodes[at - 1] : nodes[2 * n - at];
    state.current = node.id;
    state.narration = at <= n ? forwardSentence(node) : backwardSentence(node);
    if (at === 2 * n) state.narration += " The backward pass is complete.";
  }

  function byId(id) {
    return state.graph.nodes.find((n) => n.id === id);
  }

  function show(node, field) {
    return isTensor(node.shape) ? `a ${formatShape(node.shape)} array` : formatNumber(node[field]);
  }

  /** One sentence for a forward step: the node's formula with the numbers plugged in. */
  function forwardSentence(node) {
    const name = nodeTitle(node);
    if (node.op === "input") return `Forward: ${name} is an input, ${name} = ${show(node, "value")}.`;
    if (node.op === "const") return `Forward: the constant ${name}.`;
    const parents = node.parents.map(byId);
    const symbol = OP_SYMBOLS[node.op] || node.op;
    const tensor = isTensor(node.shape) || parents.some((p) => isTensor(p.shape));
    let formula;
    let numbers;
    if (INFIX.has(node.op) && parents.length === 2) {
      formula = `${nodeTitle(parents[0])} ${symbol} ${nodeTitle(parents[1])}`;
      numbers = `${show(parents[0], "value")} ${symbol} ${show(parents[1], "value")}`;
    } else {
      formula = `${node.op}(${parents.map(nodeTitle).join(", ")})`;
      numbers = `${node.op}(${parents.map((p) => show(p, "value")).join(", ")})`;
    }
    if (tensor) return `Forward: ${name} = ${formula}, ${show(node, "value")}.`;
    const result = name === formula ? "" : `${name} = `;
    return `Forward: ${result}${formula} = ${numbers} = ${show(node, "value")}.`;
  }

  /** One sentence for a backward step: the gradient arriving at the node, and where from. */
  function backwardSentence(node) {
    const name = nodeTitle(node);
    if (node.op === "const") return `Backward: ${name} is a constant; no gradient is needed for it.`;
    if (node.id === state.graph.output) return `Backward: start at the loss ${name}, ∂${name}/∂${name} = 1.`;
    const children = state.graph.nodes.filter((c) => c.parents.includes(node.id)).map(nodeTitle);
    const from = children.length > 1 ? `the sum of the signals from ${children.join(" and ")}` : `arriving from ${children[0]}`;
    const tail = node.op === "input" ? `: the gradient of the loss with respect to the input ${name}.` : ".";
    return `Backward: ∂L/∂${name} = ${show(node, "grad")}, ${from}${tail}`;
  }

  // --- What to draw ----------------------------------------------------------------------------

  function known(index) {
    if (state.cursor === null) return { value: true, grad: true };
    const n = state.graph.nodes.length;
    return { value: state.cursor > index, grad: state.cursor >= 2 * n - index };
  }

  function edgesInto(child) {
    return child.parents.map((p, slot) => edgeKey(p, child.id, slot));
  }

  function scene() {
    const nodes = state.graph.nodes.map((n, i) => {
      const k = known(i);
      return { ...n, value: k.value ? n.value : undefined, grad: n.op === "const" ? null : k.grad ? n.grad : undefined };
    });
    const signalEdges = new Map();
    const incomingEdges = new Map();
    const forwardEdges = new Set();
    const index = new Map(state.graph.nodes.map((n, i) => [n.id, i]));
    if (state.highlight === "step" && state.current) {
      const node = byId(state.current);
      const forward = state.cursor <= state.graph.nodes.length;
      if (forward) for (const key of edgesInto(node)) forwardEdges.add(key);
      else {
        for (const child of state.graph.nodes) {
          child.parents.forEach((p, slot) => {
            if (p === node.id) signalEdges.set(edgeKey(p, child.id, slot), null);
          });
        }
      }
    } else if (state.selected && index.has(state.selected)) {
      const node = byId(state.selected);
      const k = known(index.get(node.id));
      const details = state.details && state.details.node === node.id ? state.details : null;
      const signals = details ? details.signals.slice() : [];
      node.parents.forEach((p, slot) => {
        const found = signals.findIndex((s) => s.parent === p);
        const value = found >= 0 && k.grad ? signals.splice(found, 1)[0].value : null;
        signalEdges.set(edgeKey(p, node.id, slot), typeof value === "number" ? value : null);
      });
      const incoming = details ? details.incoming.slice() : [];
      for (const child of state.graph.nodes) {
        child.parents.forEach((p, slot) => {
          if (p !== node.id) return;
          const found = incoming.findIndex((item) => item.child === child.id);
          const value = found >= 0 && known(index.get(child.id)).grad ? incoming.splice(found, 1)[0].value : null;
          incomingEdges.set(edgeKey(p, child.id, slot), typeof value === "number" ? value : null);
        });
      }
    }
    let checks = null;
    if (state.showCheck) {
      checks = new Map();
      for (const row of state.graph.check || []) {
        const ok = row.rel_error !== null && row.rel_error < CHECK_TOLERANCE;
        checks.set(row.input, { ok, text: Array.isArray(row.numeric) ? `[${row.elements || ""}]` : formatNumber(row.numeric) });
      }
    }
    return { nodes, selected: state.selected, focused: state.focused, current: state.current, signalEdges, incomingEdges, forwardEdges, checks };
  }

  function checkRows() {
    const index = new Map(state.graph.nodes.map((n, i) => [n.id, i]));
    return (state.graph.check || []).map((row) => ({
      ...row,
      analytic: index.has(row.input) && known(index.get(row.input)).grad ? row.analytic : undefined,
    }));
  }

  /** The lesson's formula for the neuron, dL/dw = (a − y) x, checked against the backward pass. */
  function lessonCheck() {
    if (mode !== "lesson" || state.presetId !== "neuron") return "";
    const [w, x, a, y] = ["w", "x", "a", "y"].map((id) => state.graph.nodes.find((n) => n.id === id));
    if (!w || !x || !a || !y || isTensor(a.shape)) return "";
    const index = state.graph.nodes.indexOf(w);
    if (!known(index).grad) return "From the lesson: ∂L/∂w = (a − y) · x. Step the backward pass to w to compare.";
    const formula = (a.value - y.value) * x.value;
    const ok = Math.abs(formula - w.grad) <= 1e-9 * Math.max(1, Math.abs(w.grad));
    return (
      `From the lesson: ∂L/∂w = (a − y) · x = (${formatNumber(a.value)} − ${formatNumber(y.value)}) × ${formatNumber(x.value)} = ${formatNumber(formula)}; ` +
      `the backward pass gives ${formatNumber(w.grad)} ${ok ? "✓ they agree" : "✗ they differ"}.`
    );
  }

  function statusText() {
    if (!state.error) return "";
    const where = state.error.line ? ` (line ${state.error.line}${state.error.column ? `, column ${state.error.column}` : ""})` : "";
    const keep = state.graph ? " The last good graph stays on screen." : "";
    return `${state.error.message}${where}.${keep}`.replace(/\.\./g, ".").replace(/\.\s*\. /, ". ");
  }

  /** The one place that turns the state into what is on screen. */
  function draw() {
    const status = statusText();
    if (dom.status.textContent !== status) dom.status.textContent = status;
    dom.status.hidden = !status;
    if (editor) {
      const programError = state.error && state.error.kind === "input" ? state.error : null;
      drawEditor(editor, { program: state.program, error: programError });
    }
    if (!state.graph) return;
    const nodes = state.graph.nodes;
    buildView(view, nodes, state.graph.output);
    drawView(view, scene());
    const selected = state.selected ? nodes.find((n) => n.id === state.selected) : null;
    const nodesById = new Map(nodes.map((n) => [n.id, n]));
    const details = selected && state.details && state.details.node === selected.id ? state.details : null;
    drawPanel(panel, { node: selected, details, known: selected ? known(nodes.indexOf(selected)) : null, nodesById });
    drawControls(controls, {
      presets: state.presets,
      presetId: state.presetId,
      inputs: nodes.filter((n) => n.op === "input").map((n) => ({ id: n.id, shape: n.shape, value: state.values[n.id] ?? n.value })),
      steps: { cursor: state.cursor, total: 2 * nodes.length, playing: state.playing },
      check: { on: state.showCheck, rows: state.showCheck ? checkRows() : [] },
    });
    if (dom.narration.textContent !== state.narration) dom.narration.textContent = state.narration;
    const check = lessonCheck();
    if (dom.lessonCheck.textContent !== check) dom.lessonCheck.textContent = check;
    dom.lessonCheck.hidden = !check;
    if (link) {
      const preset = state.presets.find((p) => p.id === state.presetId);
      if (preset) link.href = playgroundHref(config.playground, preset.program, state.values);
      link.hidden = !preset;
    }
  }

  function onKeydown(event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.target.closest("input, textarea, select")) return;
    const action = { f: "forward", b: "backward", p: "play", r: "reset" }[event.key.toLowerCase()];
    if (!action) return;
    event.preventDefault();
    step(action);
  }

  element.addEventListener("keydown", onKeydown);
  element.addEventListener("graph:set-values", onSetValues);

  // --- Start: the presets (for the picker), then the first graph -------------------------------
  async function start() {
    const fromUrl = mode === "playground" ? readUrlState() : null;
    if (fromUrl) {
      state.program = fromUrl.program;
      state.values = fromUrl.values;
      state.presetId = null;
      recompute();
    } else if (mode === "lesson") {
      recompute();
    }
    try {
      state.presets = await fetchPresets();
    } catch (error) {
      if (!state.graph) state.error = error;
    }
    if (mode === "playground" && !fromUrl) {
      const preset = state.presets.find((p) => p.id === state.presetId) || state.presets[0];
      if (preset) {
        state.presetId = preset.id;
        state.program = preset.program;
        state.values = structuredClone(preset.values || {});
        recompute();
      }
    }
    draw();
  }
  state.presetId = mode === "playground" ? element.dataset.preset || "neuron" : state.presetId;
  draw();
  start();
  return { element, state };
}

export { mount };
