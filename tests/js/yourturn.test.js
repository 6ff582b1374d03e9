import assert from "node:assert/strict";
import { test } from "node:test";
import { acceptChanges, initialState, scene } from "../../static/js/graph/model.js";
import {
  announcement,
  attemptsAt,
  failureChanges,
  givenFor,
  graphChanges,
  HIDDEN,
  initialTurn,
  progressChanges,
  progressText,
  replyChanges,
  statusOf,
  stepKey,
  stepLabel,
  stepsAt,
  stepTex,
  turnScene,
  valuesAt,
} from "../../static/js/graph/yourturn.js";
import { neuron } from "./fixtures.js";

const on = (extra = {}) => ({
  ...initialTurn({ mode: "yourturn" }),
  ...graphChanges("k"),
  ...extra,
});
const byId = (graph, id) => graph.nodes.find((n) => n.id === id);
const grad = (node) => ({ node, quantity: "grad", parent: null });

test("the lesson's data- attributes: Your turn on, and the first step asked", () => {
  const turn = initialTurn({
    mode: "yourturn",
    node: "_matmul2",
    quantity: "signal",
    parent: "a1",
  });
  assert.equal(turn.on, true);
  assert.deepEqual(turn.ask, { node: "_matmul2", quantity: "signal", parent: "a1" });
  const plain = initialTurn({ preset: "neuron" });
  assert.equal(plain.on, false);
  assert.equal(plain.ask, null);
  assert.deepEqual(initialTurn({ mode: "yourturn", node: "w" }).ask, grad("w"));
});

test("a node asks its gradient, then each input's local gradient and signal, in order", () => {
  const graph = neuron();
  assert.deepEqual(stepsAt(graph, byId(graph, "z")).map(stepKey), [
    "grad:z:",
    "local_grad:z:_mul1",
    "signal:z:_mul1",
    "local_grad:z:b",
    "signal:z:b",
  ]);
  assert.deepEqual(stepsAt(graph, byId(graph, "w")).map(stepKey), ["grad:w:"]);
  assert.deepEqual(stepsAt(graph, null), []);
});

test("a constant is never asked; a local gradient of more than two dimensions is not either", () => {
  const graph = {
    nodes: [
      { id: "W", op: "input", parents: [], shape: [3, 2] },
      { id: "x", op: "input", parents: [], shape: [2] },
      { id: "_c", op: "const", parents: [], shape: [] },
      { id: "h", op: "matmul", parents: ["W", "x"], shape: [3] },
      { id: "k", op: "mul", parents: ["h", "_c"], shape: [3] },
    ],
  };
  assert.deepEqual(stepsAt(graph, byId(graph, "h")).map(stepKey), [
    "grad:h:",
    "signal:h:W",
    "local_grad:h:x",
    "signal:h:x",
  ]);
  assert.deepEqual(stepsAt(graph, byId(graph, "k")).map(stepKey), [
    "grad:k:",
    "local_grad:k:h",
    "signal:k:h",
  ]);
  assert.deepEqual(stepsAt(graph, byId(graph, "_c")), []);
});

test("questions as TeX and in words", () => {
  const graph = neuron();
  assert.equal(stepTex(graph, grad("w")), "\\frac{\\partial L}{\\partial w}");
  const local = { node: "_mul1", quantity: "local_grad", parent: "w" };
  assert.equal(stepTex(graph, local), "\\frac{\\partial \\left(w\\,x\\right)}{\\partial w}");
  assert.match(stepTex(graph, { ...local, quantity: "signal" }), /\\cdot/);
  assert.equal(stepLabel(graph, grad("w")), "Gradient ∂L/∂w");
  assert.equal(stepLabel(graph, local), "Local gradient ∂(w·x)/∂w, for w");
  assert.equal(
    stepLabel(graph, { ...local, quantity: "signal" }),
    "Signal sent back to w (upstream × local)",
  );
});

test("a matrix product's signal says the transpose, not upstream × local", () => {
  const graph = {
    nodes: [
      { id: "W2", op: "input", parents: [], shape: [1, 3], tex: "W_{2}" },
      { id: "a1", op: "input", parents: [], shape: [3], tex: "a_{1}" },
      { id: "_matmul2", op: "matmul", parents: ["W2", "a1"], shape: [1], tex: "W_{2}\\,a_{1}" },
    ],
  };
  const label = stepLabel(graph, { node: "_matmul2", quantity: "signal", parent: "a1" });
  assert.match(label, /^Signal sent back to a1 \(a matrix product: .*transposed\)$/);
});

test("the values at a weight: its own, and the other factor of the product it feeds, in full", () => {
  const graph = {
    nodes: [
      { id: "W2", op: "input", parents: [], shape: [1, 3], tex: "W_{2}", value: [[0.5, -1, 2]] },
      { id: "a1", op: "input", parents: [], shape: [3], tex: "a_{1}", value: [1.2, 0, 0.4] },
      {
        id: "_matmul2",
        op: "matmul",
        parents: ["W2", "a1"],
        shape: [1],
        tex: "W_{2}\\,a_{1}",
        value: [1.4],
      },
    ],
  };
  const values = valuesAt(graph, byId(graph, "W2"));
  assert.deepEqual(
    values.map((v) => [v.id, v.text, v.shape]),
    [
      ["W2", "[[0.5, −1, 2]]", "1×3"],
      ["_matmul2", "[1.4]", "1"],
      ["a1", "[1.2, 0, 0.4]", "3"],
    ],
  );
  assert.equal(valuesAt(graph, null).length, 0);
});

test("progress: found and shown gradients counted per node, restored from the server's lists", () => {
  const graph = neuron();
  const turn = on(
    progressChanges({
      found: [grad("L"), grad("a"), { node: "z", quantity: "signal", parent: "b" }, grad("z")],
      shown: [grad("y"), grad("a")],
    }),
  );
  assert.equal(progressText(graph, turn), "3 of 8 gradients found, 1 shown");
  assert.equal(statusOf(turn, grad("a")), "found"); // found after a Show me counts as found
  assert.equal(statusOf(turn, grad("y")), "shown");
  assert.equal(statusOf(turn, grad("w")), "open");
  assert.equal(progressText(graph, on()), "0 of 8 gradients found");
});

test("attempts: restored from the server's counts after a reload, then from each reply", () => {
  const w = stepKey(grad("w"));
  const signal = stepKey({ node: "z", quantity: "signal", parent: "b" });
  // A reload: no reply in this visit, but the server counted 2 attempts at dL/dw.
  let turn = on(
    progressChanges({
      found: [],
      shown: [],
      attempted: [
        { ...grad("w"), attempts: 2 },
        { node: "z", quantity: "signal", parent: "b", attempts: 1 },
      ],
    }),
  );
  assert.equal(attemptsAt(turn, w), 2);
  assert.equal(attemptsAt(turn, signal), 1);
  assert.equal(attemptsAt(turn, stepKey(grad("b"))), 0); // never tried: Show me stays off
  // A reply brings its own count and the graph's fresh progress.
  const reply = {
    correct: false,
    note: "sign",
    feedback: "The size is right but the sign is not.",
    attempts: 3,
    progress: { found: [], shown: [], attempted: [{ ...grad("w"), attempts: 3 }] },
  };
  turn = { ...turn, ...replyChanges(turn, neuron(), grad("w"), "0.5", reply) };
  assert.equal(attemptsAt(turn, w), 3);
  // Another graph starts with nothing counted.
  assert.equal(attemptsAt({ ...turn, ...graphChanges("other") }, w), 0);
  assert.equal(attemptsAt(initialTurn({ mode: "yourturn" }), w), 0);
});

test("the scene hides every gradient not found as ?, never 0, and keeps every value", () => {
  const graph = neuron();
  const state0 = initialState();
  const state = {
    ...state0,
    ...acceptChanges(state0, graph, { preset: "neuron", values: {} }),
    selected: "z",
    details: {
      node: "z",
      signals: [{ value: -0.33 }, { value: -0.33 }],
      incoming: [{ child: "a", value: -0.33 }],
    },
  };
  const base = scene(state);
  const turn = on(
    progressChanges({
      found: [grad("L"), { node: "z", quantity: "signal", parent: "b" }],
      shown: [grad("a")],
    }),
  );
  const shown = turnScene(base, turn);
  const grads = Object.fromEntries(shown.nodes.map((n) => [n.id, n.grad]));
  assert.equal(grads.L, 1);
  assert.equal(grads.a, byId(graph, "a").grad);
  for (const id of ["w", "x", "_mul1", "b", "z", "y"]) assert.equal(grads[id], HIDDEN, id);
  for (const n of shown.nodes) assert.equal(n.value, byId(graph, n.id).value);
  assert.equal(shown.signals.get("b>z#1"), -0.33); // found
  assert.equal(shown.signals.get("_mul1>z#0"), undefined); // not yet
  assert.ok([...shown.incoming.values()].every((v) => v === undefined));
  assert.equal(shown.checks, null);
  assert.equal(turnScene(base, { ...turn, on: false }), base);
});

test("a reply: progress, the result kept with the answer, the live sentence, given updated", () => {
  const graph = neuron();
  let turn = on({ busy: "grad:_mul1:" });
  const reply = {
    correct: false,
    note: "unrecognised",
    feedback: "Not this one.",
    read_as: "0.25",
    attempts: 1,
    progress: { found: [grad("L")], shown: [] },
  };
  turn = { ...turn, ...replyChanges(turn, graph, grad("_mul1"), "0.25", reply) };
  assert.equal(turn.busy, null);
  assert.deepEqual(turn.found, ["grad:L:"]);
  assert.equal(turn.results["grad:_mul1:"].answer, "0.25");
  assert.equal(turn.results["grad:_mul1:"].n, 1);
  assert.equal(turn.announce, "Gradient ∂L/∂(w·x): Not yet. Not this one.");
  assert.deepEqual(turn.given, { _mul1: "0.25" });
  // The student's own earlier value goes with the next step; a node's own answer does not.
  assert.deepEqual(givenFor(turn, grad("w")), { _mul1: "0.25" });
  assert.deepEqual(givenFor(turn, grad("_mul1")), {});
  // Shown: the engine's value, nothing of the student's to carry forward.
  const shown = {
    ...reply,
    note: "shown",
    feedback: "Here it is.",
    progress: { found: [], shown: [grad("_mul1")] },
  };
  turn = { ...turn, ...replyChanges(turn, graph, grad("_mul1"), "", shown) };
  assert.deepEqual(turn.given, {});
  assert.equal(turn.results["grad:_mul1:"].n, 2);
  assert.equal(statusOf(turn, grad("_mul1")), "shown");
  assert.match(turn.announce, /: Shown\. Here it is\.$/);
  const local = { node: "z", quantity: "local_grad", parent: "b" };
  const after = replyChanges(turn, graph, local, "1", { ...reply, correct: true, note: "correct" });
  assert.equal(after.given, undefined); // only a node's grad is carried forward
});

test("carried forward is announced as right given the earlier value; failures name the step", () => {
  const graph = neuron();
  const reply = { correct: true, note: "carried-forward", feedback: "Your step is right." };
  assert.equal(
    announcement(graph, grad("w"), reply),
    "Gradient ∂L/∂w: Right, given your earlier value. Your step is right.",
  );
  const changes = failureChanges(on(), graph, grad("x"), "3+", {
    message: "cannot be read",
    column: 2,
  });
  assert.deepEqual(changes.results["grad:x:"], {
    error: "cannot be read",
    column: 2,
    answer: "3+",
    n: 1,
  });
  assert.equal(changes.announce, "Gradient ∂L/∂x: cannot be read");
});
