import assert from "node:assert/strict";
import { test } from "node:test";
import {
  backwardParts,
  forwardParts,
  lessonCheckParts,
  partsText,
  stepParts,
} from "../../static/js/graph/narration.js";
import { neuron } from "./fixtures.js";

const byId = (graph, id) => graph.nodes.find((n) => n.id === id);

test("a forward step names an input and its number", () => {
  const graph = neuron();
  assert.equal(
    partsText(forwardParts(graph, byId(graph, "w"))),
    "Forward: w is an input, w = 0.8.",
  );
});

test("a backward step at a product says ∂L/∂(w·x), the gradient of the node w·x", () => {
  const graph = neuron();
  const text = partsText(backwardParts(graph, byId(graph, "_mul1")));
  assert.match(text, /^Backward: ∂L\/∂\(w·x\) = −0\.3318, arriving from z\.$/);
  assert.ok(
    backwardParts(graph, byId(graph, "_mul1")).some((p) => p.tex?.includes("\\left(w\\,x\\right)")),
  );
});

test("the last step says the backward pass is complete", () => {
  const graph = neuron();
  const n = graph.nodes.length;
  assert.match(
    partsText(stepParts(graph, 2 * n)),
    /^Backward: ∂L\/∂w = .* The backward pass is complete\.$/,
  );
  assert.match(partsText(stepParts(graph, n + 1)), /^Backward: start at the loss L/);
});

test("the lesson's formula is compared with the backward pass", () => {
  const graph = neuron();
  assert.match(partsText(lessonCheckParts(graph, false)), /Step the backward pass to w/);
  const text = partsText(lessonCheckParts(graph, true));
  assert.match(text, /^From the lesson: ∂L\/∂w = \(a − y\)·x = /);
  assert.match(text, /they agree\.$/);
  const wrong = neuron();
  byId(wrong, "w").grad += 0.1;
  assert.match(partsText(lessonCheckParts(wrong, true)), /they differ\.$/);
});

test("a forward step at a named node reads the line the student wrote", () => {
  const graph = neuron();
  for (const n of graph.nodes) n.line = { a: 2, y: 3, L: 3 }[n.id] ?? 1;
  const program = "z = w*x + b\na = sigmoid(z)\nL = bce(a, y)";
  const z = partsText(forwardParts(graph, byId(graph, "z"), program));
  assert.equal(z, "Forward: z = w·x + b = 0.7, with w·x = 1.2, b = −0.5.");
  const a = partsText(forwardParts(graph, byId(graph, "a"), program));
  assert.match(a, /^Forward: a = sigmoid\(z\) = 0\.6682/);
  const product = partsText(forwardParts(graph, byId(graph, "_mul1"), program));
  assert.equal(product, "Forward: w·x = 1.2, with w = 0.8, x = 1.5.");
});
