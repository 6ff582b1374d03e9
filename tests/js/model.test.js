import assert from "node:assert/strict";
import { test } from "node:test";
import {
  acceptChanges,
  checkLine,
  descentValues,
  initialState,
  known,
  lessonCheckParts,
  lossOf,
  newInputValue,
  parametersOf,
  rangeMessage,
  reachChanges,
  scene,
  stepChanges,
  stepParts,
} from "../../static/js/graph/model.js";
import { neuron } from "./fixtures.js";

/** The state after the engine's first answer, as the widget holds it. */
function ready(extra = {}) {
  const state = initialState();
  const graph = neuron();
  return { ...state, ...acceptChanges(state, graph, { preset: "neuron", values: {} }), ...extra };
}

test("stepping: forward steps reveal values in topological order, then gradients in reverse", () => {
  let state = ready();
  const n = state.graph.nodes.length;
  state = { ...state, ...stepChanges(state, "reset") };
  assert.equal(state.cursor, 0);
  for (const node of state.graph.nodes)
    assert.deepEqual(known(state.graph, 0, node), { value: false, grad: false });
  state = { ...state, ...stepChanges(state, "backward") };
  assert.equal(state.cursor, 0, "no backward step before the forward pass");
  for (let i = 1; i <= n; i += 1) state = { ...state, ...stepChanges(state, "forward") };
  assert.equal(state.cursor, n);
  assert.ok(state.graph.nodes.every((node) => known(state.graph, n, node).value));
  state = { ...state, ...stepChanges(state, "backward") };
  assert.equal(state.current, "L", "the backward pass starts at the loss");
  const shown = scene(state).nodes;
  assert.deepEqual(
    shown.filter((node) => node.grad !== undefined).map((node) => node.id),
    ["L"],
  );
});

test("play starts at the backward pass and stops at its end", () => {
  let state = ready();
  state = { ...state, ...stepChanges(state, "play") };
  assert.equal(state.playing, true);
  const n = state.graph.nodes.length;
  assert.equal(state.cursor, n);
  while (state.playing) state = { ...state, ...reachChanges(state, state.cursor + 1, true) };
  assert.equal(state.cursor, 2 * n);
  assert.match(state.narration.at(-1), /The backward pass is complete\./);
  state = { ...state, ...stepChanges(state, "play") };
  state = { ...state, ...stepChanges(state, "play") };
  assert.equal(state.playing, false, "a second press pauses");
});

test("a selected node's edges carry its signals once its gradient is known", () => {
  const state = ready({ selected: "_mul1" });
  const details = {
    node: "_mul1",
    signals: [{ value: 1.5 }, { value: 0.8 }],
    incoming: [{ child: "z", value: -0.3 }],
  };
  const s = scene({ ...state, details });
  assert.deepEqual([...s.signals.values()], [1.5, 0.8]);
  assert.deepEqual([...s.incoming.values()], [-0.3]);
  const early = scene({ ...state, details, cursor: 3 });
  assert.deepEqual([...early.signals.values()], [undefined, undefined]);
});

test("the gradient check speaks in verdicts: only disagrees is a failure", () => {
  const [agrees, disagrees, kink] = neuron().check.map(checkLine);
  assert.equal(agrees.bad, false);
  assert.match(agrees.text, /^numeric: −0\.4977 ✓$/);
  assert.equal(disagrees.bad, true);
  assert.match(disagrees.text, /disagrees/);
  assert.equal(kink.bad, false);
  assert.equal(kink.reason, "A relu sits at 0.");
});

test("a value outside its input's range is refused in words", () => {
  assert.equal(rangeMessage("y", 0.3, { min: 0, max: 1 }), "");
  assert.match(rangeMessage("y", 3, { min: 0, max: 1 }), /^y must be between 0 and 1/);
  assert.match(rangeMessage("y", -0.1, { min: 0 }), /at least 0/);
  assert.match(rangeMessage("t", [0, 2], { min: 0, max: 1 }), /between/);
  assert.equal(rangeMessage("w", 1e9, null), "");
  const open = { min: 0, max: 1, min_open: true, max_open: false };
  assert.match(rangeMessage("p", 0, open), /^p must be above 0 and at most 1/);
  assert.equal(rangeMessage("p", 1, open), "");
});

test("parameters: a preset's list; in a program every input but a loss's target", () => {
  const preset = { id: "neuron", parameters: ["w", "b"] };
  assert.deepEqual(parametersOf(ready({ presets: [preset] })), ["w", "b"]);
  const program = ready({ playground: true, presetId: null });
  assert.deepEqual(parametersOf(program), ["w", "x", "b"]);
});

test("a descent step moves each parameter against its gradient, and nothing else", () => {
  const state = ready({ values: { w: 0.8, x: 1.5, b: -0.5, y: 1 } });
  const grads = Object.fromEntries(state.graph.nodes.map((n) => [n.id, n.grad]));
  const eta = 0.5;
  const next = descentValues(state, ["w", "b"], eta);
  assert.equal(next.w, 0.8 - eta * grads.w);
  assert.equal(next.b, -0.5 - eta * grads.b);
  assert.equal(next.x, 1.5);
  assert.equal(next.y, 1);
  assert.equal(lossOf(state.graph), state.graph.nodes.at(-1).value);
  const matrix = descentValues(
    { values: { W: [[1, 2]] }, graph: { nodes: [{ id: "W", grad: [[0.5, -1]] }] } },
    ["W"],
    0.1,
  );
  assert.deepEqual(matrix.W, [[1 - 0.1 * 0.5, 2 + 0.1]]);
});

test("new inputs start at varied values, none at a kink", () => {
  const starts = [0, 1, 2, 3].map(newInputValue);
  assert.equal(new Set(starts).size, 4);
  assert.ok(starts.every((v) => v !== 0 && Math.abs(v) !== 1));
});

test("a new structure resets stepping; new values keep it", () => {
  const state = { ...ready(), cursor: 3, selected: "z" };
  const same = acceptChanges(state, neuron(), { preset: "neuron", values: { w: 2 } });
  assert.equal("cursor" in same, false);
  const other = neuron();
  other.nodes = other.nodes.slice(0, 3);
  const changed = acceptChanges(state, other, { program: "p", values: {} });
  assert.equal(changed.cursor, null);
  assert.equal(changed.selected, null);
});

/** A sentence's plain text: its text parts, and each formula's TeX as it is. */
const text = (parts) => parts.map((p) => (typeof p === "string" ? p : p.tex)).join("");

test("the narration is the engine's sentence for the step; the last says the pass is complete", () => {
  const graph = neuron();
  const n = graph.nodes.length;
  graph.nodes[0].forward = ["Forward: ", { tex: "w" }, " is an input."];
  graph.nodes[0].backward = ["Backward: at w."];
  assert.equal(text(stepParts(graph, 1)), "Forward: w is an input.");
  assert.equal(text(stepParts(graph, 2 * n)), "Backward: at w. The backward pass is complete.");
});

test("the lesson's formula is compared with the backward pass", () => {
  const graph = neuron();
  assert.match(text(lessonCheckParts(graph, false)), /Step the backward pass to w/);
  const checked = text(lessonCheckParts(graph, true));
  assert.match(checked, /^From the lesson: .*\(a - y\)\\cdot x = \(0\.6682 − 1\) × 1\.5 = /);
  assert.match(checked, /they agree\.$/);
  const wrong = neuron();
  wrong.nodes.find((n) => n.id === "w").grad += 0.1;
  assert.match(text(lessonCheckParts(wrong, true)), /they differ\.$/);
});
