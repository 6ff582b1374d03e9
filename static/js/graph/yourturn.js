// Your turn, the model: which steps of the backward pass the student found or was shown, what
// the panel asks at a node (its gradient, then each input's local gradient and signal), what the
// graph may show (a gradient stays "?" until found or shown), the progress line and what the
// live region says. Plain functions of plain data, no DOM: tested with node --test.
import { formatNumber, formatShape, gradTex, nodeTex, texText } from "./format.js";

/** What the graph shows for a gradient the student has not found yet. */
const HIDDEN = "?";

/** A step's one key: quantity, node and parent (the API's step). */
const stepKey = ({ node, quantity, parent }) => `${quantity}:${node}:${parent ?? ""}`;

/** Your turn before anything is known; `dataset` is the widget's data- attributes. */
function initialTurn(dataset = {}) {
  const ask = dataset.node
    ? { node: dataset.node, quantity: dataset.quantity || "grad", parent: dataset.parent || null }
    : null;
  return {
    on: dataset.mode === "yourturn",
    ask, // the step the lesson asks for first
    graphKey: null, // the graph (request body) the progress below belongs to
    found: [], // step keys answered right
    shown: [], // step keys revealed by Show me (and not found)
    attempts: {}, // step key -> this learner's attempts there (from the server, across reloads)
    results: {}, // step key -> the last reply (or {error}) for that step
    busy: null, // the step key being graded
    given: {}, // node id -> the student's last readable answer for its grad
    announce: "", // what the live region says
    error: "", // progress that could not be read
  };
}

const dims = (shape) => (Array.isArray(shape) ? shape.length : 0);

/**
 * The steps asked at `node`: dL/d node, then for each input (not a constant) its local gradient
 * (when it is a number, a vector or a matrix: no Jacobian of more than two dimensions) and the
 * signal sent back to it.
 */
function stepsAt(graph, node) {
  if (!node || node.op === "const") return [];
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const steps = [{ node: node.id, quantity: "grad", parent: null }];
  for (const id of new Set(node.parents)) {
    const parent = byId.get(id);
    if (!parent || parent.op === "const") continue;
    if (dims(node.shape) + dims(parent.shape) <= 2)
      steps.push({ node: node.id, quantity: "local_grad", parent: id });
    steps.push({ node: node.id, quantity: "signal", parent: id });
  }
  return steps;
}

/** A step's question as TeX: ∂L/∂z, ∂z/∂b, or the signal ∂L/∂z · ∂z/∂b. */
function stepTex(graph, step) {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const node = byId.get(step.node);
  if (step.quantity === "grad") return gradTex(node);
  const parent = byId.get(step.parent);
  const local = `\\frac{\\partial ${nodeTex(node)}}{\\partial ${nodeTex(parent)}}`;
  return step.quantity === "local_grad" ? local : `${gradTex(node)}\\cdot ${local}`;
}

/** A step's question in words, for its label and the live region. */
function stepLabel(graph, step) {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const name = (id) => texText(nodeTex(byId.get(id)));
  if (step.quantity === "grad") return `Gradient ${texText(stepTex(graph, step))}`;
  if (step.quantity === "local_grad")
    return `Local gradient ${texText(stepTex(graph, step))}, for ${name(step.parent)}`;
  // A matrix or outer product's signal is not upstream times a Jacobian as written.
  const how =
    {
      matmul: "a matrix product: the upstream gradient with the other factor transposed",
      outer: "an outer product: the upstream gradient times the other vector",
    }[byId.get(step.node).op] || "upstream × local";
  return `Signal sent back to ${name(step.parent)} (${how})`;
}

/** A step's question in a few words, beside its typeset formula. */
const stepWords = (step) =>
  ({ grad: "Gradient", local_grad: "Local gradient", signal: "Signal sent back" })[step.quantity];

/** "found", "shown" or "open". */
function statusOf(turn, step) {
  const key = stepKey(step);
  if (turn.found.includes(key)) return "found";
  return turn.shown.includes(key) ? "shown" : "open";
}

/** The changes a progress answer ({found, shown, attempted}) brings. */
function progressChanges(progress) {
  const found = (progress.found || []).map(stepKey);
  const shown = (progress.shown || []).map(stepKey).filter((k) => !found.includes(k));
  const attempts = Object.fromEntries(
    (progress.attempted || []).map((step) => [stepKey(step), step.attempts]),
  );
  return { found, shown, attempts };
}

/**
 * The learner's attempts at a step: the last reply's count, else the stored one (a reload),
 * so Show me is there for a step tried before this visit.
 */
const attemptsAt = (turn, key) =>
  Math.max(turn.results[key]?.attempts || 0, turn.attempts?.[key] || 0);

/** The changes of moving to another graph (or other values): nothing carried over. */
const graphChanges = (graphKey) => ({
  graphKey,
  found: [],
  shown: [],
  attempts: {},
  results: {},
  busy: null,
  given: {},
  announce: "",
  error: "",
});

/** The student's earlier grad answers to send for error carried forward (not this node's). */
function givenFor(turn, step) {
  const given = { ...turn.given };
  delete given[step.node];
  return Object.fromEntries(Object.entries(given).slice(0, 64));
}

/** How many replies a step has had in this visit, with the new one (the view's data-replies). */
const replies = (turn, key) => (turn.results[key]?.n || 0) + 1;

/** The changes a graded reply (or a Show me) to `step` with `answer` brings. */
function replyChanges(turn, graph, step, answer, reply) {
  const key = stepKey(step);
  const changes = {
    ...progressChanges(reply.progress || {}),
    results: { ...turn.results, [key]: { ...reply, answer, n: replies(turn, key) } },
    busy: null,
    announce: announcement(graph, step, reply),
  };
  if (step.quantity === "grad") {
    const given = { ...turn.given };
    // A revealed value is the engine's: nothing of the student's to carry forward.
    if (reply.note === "shown") delete given[step.node];
    else given[step.node] = answer;
    changes.given = given;
  }
  return changes;
}

/** The changes of an answer that could not be read or sent (the server's message). */
function failureChanges(turn, graph, step, answer, error) {
  const key = stepKey(step);
  const result = {
    error: error.message,
    column: error.column ?? null,
    answer,
    n: replies(turn, key),
  };
  return {
    results: { ...turn.results, [key]: result },
    busy: null,
    announce: `${stepLabel(graph, step)}: ${error.message}`,
  };
}

/** What the live region says after a reply: the step, right or not, and the feedback. */
function announcement(graph, step, reply) {
  const verdict =
    reply.note === "shown"
      ? "Shown"
      : reply.note === "carried-forward"
        ? "Right, given your earlier value"
        : reply.correct
          ? "Right"
          : "Not yet";
  return `${stepLabel(graph, step)}: ${verdict}. ${reply.feedback}`.trim();
}

/** The progress line: gradients found and shown, of every node that has one. */
function progressText(graph, turn) {
  const nodes = graph.nodes.filter((n) => n.op !== "const");
  let [found, shown] = [0, 0];
  for (const n of nodes) {
    const status = statusOf(turn, { node: n.id, quantity: "grad", parent: null });
    if (status === "found") found += 1;
    if (status === "shown") shown += 1;
  }
  const head = `${found} of ${nodes.length} gradient${nodes.length === 1 ? "" : "s"} found`;
  return shown ? `${head}, ${shown} shown` : head;
}

/** A value as text: a number, or a vector or matrix in brackets. */
const valueText = (v) => (Array.isArray(v) ? `[${v.map(valueText).join(", ")}]` : formatNumber(v));

/**
 * The forward values a node's steps use, in full (the graph shows an array only by its shape):
 * the node, its inputs, and each node it feeds with that node's other inputs (a1 for ∂L/∂W2).
 * [{id, tex, text, shape}], shape "" for a number, else as 3 or 1×3.
 */
function valuesAt(graph, node) {
  if (!node) return [];
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const ids = [node.id, ...node.parents];
  for (const child of graph.nodes.filter((n) => n.parents.includes(node.id)))
    ids.push(child.id, ...child.parents);
  return [...new Set(ids)]
    .map((id) => byId.get(id))
    .filter((n) => n && n.value !== undefined && n.value !== null)
    .map((n) => ({
      id: n.id,
      tex: nodeTex(n),
      text: valueText(n.value),
      shape: formatShape(n.shape),
    }));
}

/**
 * The view's scene in Your turn: a gradient is "?" until found or shown, and an edge's number
 * only once its signal is; no gradient check (it would give the numbers away).
 */
function turnScene(base, turn) {
  if (!turn.on) return base;
  const known = (step) => statusOf(turn, step) !== "open";
  const nodes = base.nodes.map((n) =>
    n.op === "const" || known({ node: n.id, quantity: "grad", parent: null })
      ? n
      : { ...n, grad: HIDDEN },
  );
  const signals = new Map();
  for (const [key, value] of base.signals) {
    const [, from, to] = /^(.*)>(.*)#\d+$/.exec(key) || [];
    signals.set(key, known({ node: to, quantity: "signal", parent: from }) ? value : undefined);
  }
  const incoming = new Map([...base.incoming.keys()].map((k) => [k, undefined]));
  return { ...base, nodes, signals, incoming, checks: null };
}

export {
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
  stepWords,
  turnScene,
  valuesAt,
  valueText,
};
