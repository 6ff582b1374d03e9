// How the graph widget writes numbers, shapes and names as text: one formatter for every number,
// and a plain linear reading of the engine's TeX for SVG labels and accessible names (the eye
// sees the same TeX typeset by KaTeX). No DOM: tested with node --test.

/** A number as read: 4 significant digits, a true minus sign, "—" when missing. */
function formatNumber(v) {
  if (typeof v !== "number" || !Number.isFinite(v))
    return v === null || v === undefined ? "—" : String(v).replace("-", "−");
  const a = Math.abs(v);
  const text =
    v && (a >= 1e5 || a < 1e-3)
      ? v
          .toExponential(2)
          .replace(/\.?0+e/, "e")
          .replace("e+", "e")
      : String(Number(v.toPrecision(4)));
  return text.replace("-", "−");
}

const isTensor = (shape) => Array.isArray(shape) && shape.length > 0;

/** A shape as written in the lesson: 3×2, or "" for a number. */
const formatShape = (shape) => (isTensor(shape) ? shape.join("×") : "");

/** The shape of a nested array value ([] for a number). */
const shapeOf = (v) => (Array.isArray(v) ? [v.length, ...shapeOf(v[0])] : []);

const WORDS = {
  partial: "∂",
  sigma: "σ",
  alpha: "α",
  eta: "η",
  leftarrow: "←",
  top: "ᵀ",
  cdot: "·",
  times: "×",
  ge: "≥",
  le: "≤",
  ne: "≠",
  sum: "Σ",
  quad: " ",
  ",": "·",
  ";": " ",
  " ": " ",
  "{": "{",
  "}": "}",
};
const COMPOUND = /[\s+−·×/]/;

/** Brackets around a compound reading, so that a/(b + c) never reads as a/b + c. */
const group = (text) => (COMPOUND.test(text) && !/^\(.*\)$/.test(text) ? `(${text})` : text);

/**
 * The engine's TeX read as one line of plain text: \frac{a}{b} becomes a/b with brackets where
 * a part is compound (∂L/∂(w·x), log((1 − a)/a)), \, between factors a middle dot, ^{\top} ᵀ.
 */
function texText(tex) {
  const src = String(tex);
  let i = 0;
  const argument = () => {
    while (src[i] === " ") i += 1;
    if (src[i] !== "{") return atom();
    let text = "";
    for (i += 1; i < src.length && src[i] !== "}"; ) text += atom();
    i += 1;
    return text;
  };
  const command = () => {
    const name = /^[A-Za-z]+/.exec(src.slice(i))?.[0] || src[i];
    i += name.length;
    return name;
  };
  function atom() {
    const c = src[i];
    i += 1;
    if (c === "{") {
      i -= 1;
      return argument();
    }
    if (c === "^") {
      const power = argument();
      return power === "ᵀ" ? power : `^${group(power)}`;
    }
    if (c === "_") return argument();
    if (c === "-") return "−";
    if (c === "&") return " if ";
    if (c !== "\\") return c;
    const name = command();
    if (name === "\\") return ", ";
    if (name === "frac" || name === "tfrac") {
      const [top, bottom] = [tidy(argument()), tidy(argument())];
      return top.startsWith("∂") ? `${top}/${bottom}` : `${group(top)}/${group(bottom)}`;
    }
    if (["text", "mathrm", "mathit", "operatorname"].includes(name)) return argument();
    if (name === "left" || name === "right") {
      let fence = src[i];
      i += 1;
      if (fence === "\\") fence = command();
      return fence === "." ? "" : fence;
    }
    if (name === "begin" || name === "end") {
      argument();
      return "";
    }
    return WORDS[name] ?? name;
  }
  let text = "";
  while (i < src.length) text += atom();
  return tidy(text).replace(/ if otherwise/g, " otherwise");
}

/** Spaces as read: none after ∂ or around a product's dot, none before a comma. */
const tidy = (text) =>
  text.replace(/\s+/g, " ").replace(/∂ /g, "∂").replace(/ ?· ?/g, "·").replace(/ ,/g, ",").trim();

/** Is this node a result the student did not name (w·x): its TeX is an expression. */
const isUnnamed = (node) => node.id.startsWith("_");

/** A node's name as text: its own, or for an unnamed result its expression (w·x). */
const nodeTitle = (node) => (node.tex ? texText(node.tex) : node.label || node.id);

/** A node's TeX as a name inside a formula: an expression gets brackets, ∂L/∂(w·x). */
const nodeTex = (node) =>
  isUnnamed(node) && node.tex ? `\\left(${node.tex}\\right)` : node.tex || node.id;

/** ∂L/∂node as TeX. */
const gradTex = (node) => `\\frac{\\partial L}{\\partial ${nodeTex(node)}}`;

export {
  formatNumber,
  formatShape,
  gradTex,
  group,
  isTensor,
  nodeTex,
  nodeTitle,
  shapeOf,
  texText,
};
