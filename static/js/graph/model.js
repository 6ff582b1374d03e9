// The graph widget's model: what is known at a step, what the view shows, stepping, the gradient
// check in words, value ranges and the gradient-descent step. Plain functions of plain data, no
// DOM: widget.js keeps one state object and changes it only through these and one setter.
import { formatNumber as f } from "./format.js";

/** The widget's state before the first answer. */
function initialState({ presetId = "neuron", playground = false } = {}) {
  return {
    playground,
    presets: [],
    presetId,
    program: "",
    values: {}, // the inputs as set: what the next request sends
    graph: null, // the last good POST /api/graph answer, and the request it answered
    body: null,
    selected: null,
    focused: null, // the graph's one Tab stop
    details: null, // POST /api/graph/node's answer for the selected node
    cursor: null, // null: all computed; else steps taken, 1..n forward, n+1..2n backward
    current: null, // the node the last step reached
    playing: false,
    showCheck: false,
    error: null, // the last failure (the last good graph stays)
    narration: [],
    refused: {}, // input name -> why its typed value was not sent
    learningRate: 0.5,
    descentSteps: 1,
    descent: [], // [{step, before, after}]: the loss at each descent step
    descending: false,
  };
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const edgeKey = (from, to, slot) => `${from}>${to}#${slot}`;
const inputsOf = (graph) => (graph ? graph.nodes.filter((n) => n.op === "input") : []);

/** What is computed at step `cursor`: never a gradient the backward pass has not reached. */
function known(graph, cursor, node) {
  const i = graph.nodes.indexOf(node);
  const c = cursor ?? Number.POSITIVE_INFINITY;
  return { value: c > i, grad: c >= 2 * graph.nodes.length - i };
}

/** The changes a new engine answer brings: a new structure resets stepping and selection. */
function acceptChanges(state, data, body) {
  const inputs = inputsOf(data);
  const values = Object.fromEntries(inputs.map((n) => [n.id, state.values[n.id] ?? n.value]));
  const ids = data.nodes.map((n) => n.id);
  const structure = (g) => g?.nodes.map((n) => [n.id, n.parents]);
  const changes = { graph: data, body, values, error: null };
  if (!same(body, state.body)) changes.details = null; // busy until the engine answers again
  if (!same(structure(state.graph), structure(data))) {
    Object.assign(changes, { cursor: null, current: null, narration: [], playing: false });
    changes.selected = ids.includes(state.selected) ? state.selected : null;
    if (!changes.selected) changes.details = null;
    changes.descent = [];
  }
  if (!ids.includes(state.focused)) changes.focused = (inputs[0] || data.nodes[0]).id;
  return changes;
}

/** The changes one step action brings: "forward", "backward", "play" (start/pause), "reset". */
function stepChanges(state, action) {
  const n = state.graph.nodes.length;
  const at = state.cursor ?? 2 * n;
  if (action === "reset")
    return {
      cursor: 0,
      current: null,
      playing: false,
      narration: ["Reset: nothing is computed yet."],
    };
  if (action === "forward")
    return at < n || at === 2 * n
      ? reachChanges(state, at === 2 * n ? 1 : at + 1)
      : { playing: false };
  if (action === "backward")
    return at < n
      ? { playing: false, narration: ["Finish the forward pass first."] }
      : reachChanges(state, at === 2 * n ? n + 1 : at + 1);
  if (state.playing) return { playing: false, narration: ["Paused."] };
  return {
    playing: true,
    cursor: at < n || at === 2 * n ? n : at,
    current: null,
    narration: ["Playing the backward pass."],
  };
}

/**
 * The narration at step `cursor` (1..n forward, n+1..2n backward) of a graph of n nodes: the
 * engine's sentence for the node's step (parts: text, or {tex} typeset by KaTeX).
 */
function stepParts(graph, cursor) {
  const n = graph.nodes.length;
  const node = graph.nodes[cursor <= n ? cursor - 1 : 2 * n - cursor];
  const parts = (cursor <= n ? node.forward : node.backward) || [];
  return cursor === 2 * n ? [...parts, " The backward pass is complete."] : parts;
}

/** The lesson's formula for the neuron, ∂L/∂w = (a − y)·x, compared with the backward pass. */
function lessonCheckParts(graph, gradKnown) {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const [w, x, a, y] = ["w", "x", "a", "y"].map((id) => byId.get(id));
  if (!w || !x || !a || !y) return [];
  const head = ["From the lesson: ", { tex: "\\frac{\\partial L}{\\partial w} = (a - y)\\cdot x" }];
  if (!gradKnown) return [...head, ". Step the backward pass to w to compare."];
  const formula = (a.value - y.value) * x.value;
  const ok = Math.abs(formula - w.grad) <= 1e-9 * Math.max(1, Math.abs(w.grad));
  const verdict = ok ? "✓ they agree" : "✗ they differ";
  return [
    ...head,
    ` = (${f(a.value)} − ${f(y.value)}) × ${f(x.value)} = ${f(formula)}; the backward pass gives ${f(w.grad)} ${verdict}.`,
  ];
}

/** The changes of reaching step `cursor`; `playing` keeps a running play going until the end. */
function reachChanges(state, cursor, playing = false) {
  const { graph } = state;
  const n = graph.nodes.length;
  const node = graph.nodes[cursor <= n ? cursor - 1 : 2 * n - cursor];
  return {
    cursor,
    current: node.id,
    playing: playing && cursor < 2 * n,
    narration: stepParts(graph, cursor),
  };
}

/** The gradient check of one input in words: only "disagrees" is a failure. */
function checkLine(entry) {
  const numeric = Array.isArray(entry.numeric)
    ? `rel. error ${entry.rel_error === null ? "—" : entry.rel_error.toExponential(0)}`
    : f(entry.numeric);
  const { verdict } = entry; // the engine's, always sent
  const words = {
    agrees: `numeric: ${numeric} ✓`,
    disagrees: `numeric: ${numeric} ✗ disagrees`,
    kink: "kink: no derivative here",
    unreliable: "numeric check unreliable here",
  };
  return {
    verdict,
    bad: verdict === "disagrees",
    text: words[verdict] || verdict,
    reason: entry.reason || "",
  };
}

/** What the view shows: known numbers; the last step's edges or the selected node's signals. */
function scene(state) {
  const { graph } = state;
  const { nodes } = graph;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const signals = new Map();
  const incoming = new Map();
  const forward = new Set();
  const outOf = (id, fn) => {
    for (const c of nodes)
      for (const [slot, p] of c.parents.entries()) if (p === id) fn(edgeKey(p, c.id, slot), c);
  };
  const current = state.current && byId.get(state.current);
  if (current && state.cursor <= nodes.length) {
    for (const [slot, p] of current.parents.entries()) forward.add(edgeKey(p, current.id, slot));
  } else if (current) {
    outOf(current.id, (key) => signals.set(key, null));
  } else if (state.selected && byId.has(state.selected)) {
    const node = byId.get(state.selected);
    const d =
      state.details?.node === node.id && known(graph, state.cursor, node).grad
        ? state.details
        : null;
    for (const [slot, p] of node.parents.entries())
      signals.set(edgeKey(p, node.id, slot), d ? d.signals[slot].value : undefined);
    const arriving = d ? d.incoming.slice() : [];
    outOf(node.id, (key, child) => {
      const i = arriving.findIndex((item) => item.child === child.id);
      const value =
        i >= 0 && known(graph, state.cursor, child).grad && arriving.splice(i, 1)[0].value;
      incoming.set(key, value);
    });
  }
  const checks = state.showCheck ? new Map(graph.check.map((r) => [r.input, checkLine(r)])) : null;
  const shown = nodes.map((n) => {
    const k = known(graph, state.cursor, n);
    return { ...n, value: k.value ? n.value : undefined, grad: k.grad ? n.grad : undefined };
  });
  return {
    nodes: shown,
    selected: state.selected,
    current: state.current,
    focused: state.focused,
    signals,
    incoming,
    forward,
    checks,
  };
}

/**
 * Why `value` may not be sent for an input with `range` ({min, max, min_open, max_open}, from the
 * engine), or "" when it may.
 */
function rangeMessage(name, value, range) {
  if (!range) return "";
  const cells = Array.isArray(value) ? value.flat(Number.POSITIVE_INFINITY) : [value];
  const { min, max, min_open: minOpen, max_open: maxOpen } = range;
  const has = (bound) => bound !== undefined && bound !== null;
  const fits = (v) =>
    (!has(min) || (minOpen ? v > min : v >= min)) && (!has(max) || (maxOpen ? v < max : v <= max));
  if (cells.every(fits)) return "";
  const low = has(min) && (minOpen ? `above ${f(min)}` : `at least ${f(min)}`);
  const high = has(max) && (maxOpen ? `below ${f(max)}` : `at most ${f(max)}`);
  const bounds =
    low && high && !minOpen && !maxOpen
      ? `between ${f(min)} and ${f(max)}`
      : [low, high].filter(Boolean).join(" and ");
  return `${name} must be ${bounds}; the graph keeps ${name}'s last value.`;
}

/**
 * The inputs a descent step moves: a preset's parameters; in a program every input except the
 * target of a loss (the second argument of bce or mse), which is data.
 */
function parametersOf(state) {
  const inputs = inputsOf(state.graph).map((n) => n.id);
  const preset = !state.playground && state.presets.find((p) => p.id === state.presetId);
  if (preset?.parameters) return preset.parameters.filter((p) => inputs.includes(p));
  const byId = new Map(state.graph.nodes.map((n) => [n.id, n]));
  const data = new Set();
  for (const n of state.graph.nodes)
    if (["bce", "mse"].includes(n.op) && byId.get(n.parents[1])?.op === "input")
      data.add(n.parents[1]);
  return inputs.filter((id) => !data.has(id));
}

/** w ← w − η·∂L/∂w for every parameter (numbers, vectors and matrices alike). */
function descentValues(state, parameters, eta) {
  const grads = new Map(state.graph.nodes.map((n) => [n.id, n.grad]));
  const move = (w, g) => (Array.isArray(w) ? w.map((wi, i) => move(wi, g[i])) : w - eta * g);
  const values = { ...state.values };
  for (const p of parameters) values[p] = move(values[p], grads.get(p));
  return values;
}

/** The loss the engine computed: the output node's value. */
const lossOf = (graph) => graph.nodes.find((n) => n.id === graph.output)?.value;

// Starting values for a program's new inputs: varied, so that no gradient comes out exactly 1
// or −1 by accident, and none at a kink (0).
const STARTS = [0.5, -1.5, 2, 0.8, -0.3, 1.2, -2.5, 0.7];

/** The value a program's i-th input starts at when the student has not set it. */
const newInputValue = (i) => STARTS[i % STARTS.length];

/** A link to the playground at `base` (from the server's config) with this program and values. */
const playgroundHref = (base, program, values) =>
  `${base}?${new URLSearchParams({ program, values: JSON.stringify(values) })}`;

/** The inputs for the controls, with the values as set. */
const controlInputs = (state) =>
  inputsOf(state.graph).map((n) => ({
    id: n.id,
    shape: n.shape,
    range: n.range || null,
    value: state.values[n.id] ?? n.value,
    refused: state.refused[n.id] || "",
  }));

export {
  acceptChanges,
  checkLine,
  controlInputs,
  descentValues,
  edgeKey,
  initialState,
  inputsOf,
  known,
  lessonCheckParts,
  lossOf,
  newInputValue,
  parametersOf,
  playgroundHref,
  rangeMessage,
  reachChanges,
  same,
  scene,
  stepChanges,
  stepParts,
};
