// A small graph in the engine's JSON shape (POST /api/graph), for the model's tests: the lesson's
// neuron at w = 0.8, x = 1.5, b = −0.5, y = 1 (values and gradients as the engine computes them).

/** The neuron's graph: nodes in topological order, the loss L, the gradient check. */
export function neuron() {
  const node = (id, op, parents, value, grad, tex = id) => ({
    id,
    op,
    label: id,
    parents,
    value,
    grad,
    shape: [],
    tex,
    notes: [],
  });
  const a = 1 / (1 + Math.exp(-0.7));
  const dz = a - 1;
  return {
    output: "L",
    nodes: [
      node("w", "input", [], 0.8, dz * 1.5),
      node("x", "input", [], 1.5, dz * 0.8),
      node("_mul1", "mul", ["w", "x"], 1.2, dz, "w\\,x"),
      node("b", "input", [], -0.5, dz),
      node("z", "add", ["_mul1", "b"], 0.7, dz),
      node("a", "sigmoid", ["z"], a, dz / (a * (1 - a))),
      node("y", "input", [], 1, Math.log((1 - a) / a)),
      node("L", "bce", ["a", "y"], -Math.log(a), 1),
    ],
    check: [
      {
        input: "w",
        analytic: dz * 1.5,
        numeric: dz * 1.5,
        rel_error: 1e-11,
        verdict: "agrees",
        reason: null,
      },
      {
        input: "b",
        analytic: dz,
        numeric: 0.98 * dz,
        rel_error: 0.02,
        verdict: "disagrees",
        reason: "The two differ.",
      },
      {
        input: "x",
        analytic: 0,
        numeric: 0.5,
        rel_error: 1,
        verdict: "kink",
        reason: "A relu sits at 0.",
      },
    ],
  };
}
