// The widget's sentences as data: a list of parts, each plain text or {tex} (typeset by KaTeX on
// screen, read by texText for assistive technology). No DOM: tested with node --test.
import { formatNumber as f, gradTex, isTensor, nodeTex, nodeTitle, texText } from "./format.js";

/** A formula part of a sentence. */
const math = (tex) => ({ tex });

/** A sentence's plain reading: the text parts and each formula's linear reading. */
const partsText = (parts) =>
  parts.map((p) => (typeof p === "string" ? p : texText(p.tex))).join("");

/** A node's value or gradient in words: its number, or "a 3×2 array". */
const shown = (node, field) =>
  isTensor(node.shape) ? `a ${node.shape.join("×")} array` : f(node[field]);

/** The right-hand side the student wrote for a named node (z = w*x + b), as read: w·x + b. */
function writtenExpression(node, program) {
  const line = (program || "").split("\n")[node.line - 1] || "";
  const match = new RegExp(`^\\s*${node.id}\\s*=(?!=)(.*)$`).exec(line.replace(/#.*/, ""));
  if (!match) return "";
  return match[1].trim().replace(/\*\*/g, "^").replace(/\*/g, "·").replace(/-/g, "−");
}

/** The computation that made a node: a formula part, or the line the student wrote. */
function expressionPart(node, parents, program) {
  if (node.expression) return math(node.expression);
  if (node.id.startsWith("_") && node.tex) return math(node.tex);
  const written = writtenExpression(node, program);
  if (written) return written;
  return math(`\\operatorname{${node.op}}\\left(${parents.map(nodeTex).join(", ")}\\right)`);
}

/** One sentence for a forward step: the node's formula with its numbers. */
function forwardParts(graph, node, program = "") {
  const name = math(node.tex || node.id);
  if (node.op === "const") return ["Forward: the constant ", name, "."];
  if (node.op === "input")
    return ["Forward: ", name, " is an input, ", name, ` = ${shown(node, "value")}.`];
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const parents = node.parents.map((p) => byId.get(p));
  const formula = expressionPart(node, parents, program);
  const head =
    formula.tex === node.tex ? ["Forward: ", formula] : ["Forward: ", name, " = ", formula];
  const numbers = parents.map((p) => `${nodeTitle(p)} = ${shown(p, "value")}`).join(", ");
  return [...head, ` = ${shown(node, "value")}`, parents.length ? `, with ${numbers}.` : "."];
}

/** One sentence for a backward step: the gradient arriving at the node, and from where. */
function backwardParts(graph, node) {
  const name = math(node.tex || node.id);
  if (node.op === "const") return ["Backward: ", name, " is a constant; it needs no gradient."];
  if (node.id === graph.output)
    return [
      "Backward: start at the loss ",
      name,
      ", ",
      math(`\\frac{\\partial L}{\\partial L} = 1`),
      ".",
    ];
  const kids = graph.nodes.filter((c) => c.parents.includes(node.id));
  const from = [];
  for (const [i, kid] of kids.entries()) {
    if (i) from.push(i === kids.length - 1 ? " and " : ", ");
    from.push(math(nodeTex(kid)));
  }
  const how = kids.length > 1 ? ", the sum of the signals from " : ", arriving from ";
  return ["Backward: ", math(gradTex(node)), ` = ${shown(node, "grad")}`, how, ...from, "."];
}

/** The narration at step `cursor` (1..n forward, n+1..2n backward) of a graph of n nodes. */
function stepParts(graph, cursor, program = "") {
  const n = graph.nodes.length;
  const node = graph.nodes[cursor <= n ? cursor - 1 : 2 * n - cursor];
  const parts = cursor <= n ? forwardParts(graph, node, program) : backwardParts(graph, node);
  return cursor === 2 * n ? [...parts, " The backward pass is complete."] : parts;
}

/** The lesson's formula for the neuron, ∂L/∂w = (a − y)·x, compared with the backward pass. */
function lessonCheckParts(graph, gradKnown) {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const [w, x, a, y] = ["w", "x", "a", "y"].map((id) => byId.get(id));
  if (!w || !x || !a || !y) return [];
  const head = ["From the lesson: ", math("\\frac{\\partial L}{\\partial w} = (a - y)\\cdot x")];
  if (!gradKnown) return [...head, ". Step the backward pass to w to compare."];
  const formula = (a.value - y.value) * x.value;
  const ok = Math.abs(formula - w.grad) <= 1e-9 * Math.max(1, Math.abs(w.grad));
  const verdict = ok ? "✓ they agree" : "✗ they differ";
  return [
    ...head,
    ` = (${f(a.value)} − ${f(y.value)}) × ${f(x.value)} = ${f(formula)}; the backward pass gives ${f(w.grad)} ${verdict}.`,
  ];
}

export { backwardParts, forwardParts, lessonCheckParts, math, partsText, stepParts };
