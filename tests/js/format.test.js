import assert from "node:assert/strict";
import { test } from "node:test";
import {
  formatNumber,
  formatShape,
  gradTex,
  nodeTex,
  nodeTitle,
  shapeOf,
  texText,
} from "../../static/js/graph/format.js";

test("numbers read with 4 significant digits and a true minus sign", () => {
  assert.equal(formatNumber(-0.49771834174775076), "−0.4977");
  assert.equal(formatNumber(1.2000000000000002), "1.2");
  assert.equal(formatNumber(0), "0");
  assert.equal(formatNumber(123456), "1.23e5");
  assert.equal(formatNumber(-0.00012), "−1.2e-4");
  assert.equal(formatNumber(undefined), "—");
  assert.equal(formatNumber(null), "—");
});

test("shapes read as the lesson writes them", () => {
  assert.equal(formatShape([3, 2]), "3×2");
  assert.equal(formatShape([]), "");
  assert.deepEqual(shapeOf([[1, 2, 3]]), [1, 3]);
  assert.deepEqual(shapeOf(4), []);
});

test("a quotient inside a log keeps its brackets: log((1 − a)/a)", () => {
  const rule = "\\frac{\\partial L}{\\partial y} = \\log\\left(\\frac{1 - a}{a}\\right)";
  assert.equal(texText(rule), "∂L/∂y = log((1 − a)/a)");
  const da = "\\frac{\\partial L}{\\partial a} = \\frac{a - y}{a(1 - a)}";
  assert.equal(texText(da), "∂L/∂a = (a − y)/(a(1 − a))");
});

test("a compound name is bracketed where it is differentiated: ∂L/∂(w·x)", () => {
  const product = { id: "_mul1", op: "mul", tex: "w\\,x", label: "×" };
  assert.equal(nodeTitle(product), "w·x");
  assert.equal(nodeTex(product), "\\left(w\\,x\\right)");
  assert.equal(texText(gradTex(product)), "∂L/∂(w·x)");
  const named = { id: "z", op: "add", tex: "z" };
  assert.equal(texText(gradTex(named)), "∂L/∂z");
});

test("powers of compound bases, transposes, subscripts and cases read in one line", () => {
  assert.equal(texText("\\left(e^{x}\\right)^{2}"), "(e^x)^2");
  assert.equal(texText("W_{2}^{\\top}"), "W2ᵀ");
  assert.equal(texText("x^{a + b}"), "x^(a + b)");
  assert.equal(
    texText("\\begin{cases} 1 & z > 0 \\\\ 0 & \\text{otherwise} \\end{cases}"),
    "1 if z > 0, 0 otherwise",
  );
});
