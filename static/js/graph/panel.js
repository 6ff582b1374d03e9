// The details panel: a node's value, the gradient arriving from the loss, and for each input the
// local gradient (rule and number) and the signal sent back, upstream × local = result.
import { formatNumber as f, formatShape, isTensor, nodeTitle, opName, opSymbol } from "./view.js";

const esc = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const plain = (html) => html.replace(/<[^>]*>/g, "");
const SYMBOLS = {
  partial: "∂",
  sigma: "σ",
  top: "T",
  cdot: "·",
  times: "×",
  ge: "≥",
  le: "≤",
  quad: " ",
  ",": "·",
  " ": " ",
  left: "",
  right: "",
};

/** The engine's TeX rules as HTML without KaTeX: \frac, ^, _, \bar, \text, cases; \, (only between factors) as ·. */
function texToHtml(tex) {
  const src = tex.replace(/\\begin\{cases\}(.*?)\\end\{cases\}/g, (_m, body) => {
    const rows = body.split("\\\\").map((row) => row.split("&"));
    return `\\text{{ }${rows.map(([v, c]) => (/otherwise/.test(c) ? `${v}\\text{ otherwise}` : `${v}\\text{ if }${c}`)).join("\\text{, }")}\\text{ }}`;
  });
  let i = 0;
  const group = () => {
    if (src[i] !== "{") return atom();
    let html = "";
    for (i += 1; i < src.length && src[i] !== "}"; ) html += atom();
    i += 1;
    return html;
  };
  const wrap = (html) => (/[\s+−·/]/.test(plain(html)) ? `(${html})` : html);
  function atom() {
    const c = src[i++];
    if (c === "{") {
      i -= 1;
      return group();
    }
    if (c === "^" || c === "_")
      return c === "^" ? `<sup>${group()}</sup>` : `<sub>${group()}</sub>`;
    if (c !== "\\") return c === "-" ? "−" : esc(c);
    const name = /^[A-Za-z]+/.exec(src.slice(i))?.[0] || src[i];
    i += name.length;
    if (name.length > 1) while (src[i] === " ") i += 1; // as in TeX
    if (name === "frac") {
      const [top, bottom] = [group(), group()];
      return plain(top)[0] === "∂" ? `${top}/${bottom}` : `${wrap(top)}/${wrap(bottom)}`;
    }
    if (name === "text" || name === "mathrm") {
      const end = src.indexOf("}", i + 1);
      const text = src.slice(i + 1, end);
      i = end + 1;
      return esc(text);
    }
    if (name === "bar") return `<span class="tex-bar">${group()}</span>`;
    return esc(SYMBOLS[name] ?? name);
  }
  let html = "";
  while (i < src.length) html += atom();
  return html.replace(/\s+/g, " ").trim();
}

/** A number; its exact value in data-value. */
const num = (v, field = "", cls = "") =>
  `<span class="num ${cls}"${field && ` data-field="${field}"`}${typeof v === "number" ? ` data-value="${v}"` : ""}>${f(v)}</span>`;

/** A vector (one row) or a matrix as a small table. */
function matrix(value, field, caption = "") {
  const rows = (Array.isArray(value[0]) ? value : [value]).map(
    (row) => `<tr>${row.map((v) => `<td data-value="${v}">${f(v)}</td>`).join("")}</tr>`,
  );
  return `<table class="graph-matrix" data-field="${field}">${caption && `<caption>${caption}</caption>`}${rows.join("")}</table>`;
}

const shapeOf = (v) => (Array.isArray(v) ? [v.length, ...shapeOf(v[0])] : []);
const pending = (field) =>
  `<span class="num is-pending" data-field="${field}">not computed yet</span>`;
const column = (s) => (s.length === 1 ? [s[0], 1] : s); // a vector as a column
const paren = (s) => `(${s.join("×") || "number"})`;

/** The chain rule with shapes for a matrix product: where the transpose comes from. */
function matmulShapes(slot, [left, right], upstream) {
  const t = (n) => paren(column(n.shape).slice().reverse());
  const [a, b, g] = [esc(nodeTitle(left)), esc(nodeTitle(right)), paren(column(upstream))];
  const note =
    left.shape.length < 2 || right.shape.length < 2 ? " (a vector counts as a column)" : "";
  const text = slot
    ? `signal to ${b} = ${a}<sup>T</sup> · upstream: ${t(left)} · ${g} → ${paren(column(right.shape))}`
    : `signal to ${a} = upstream · ${b}<sup>T</sup>: ${g} · ${t(right)} → ${paren(column(left.shape))}`;
  return `<p class="graph-shapes" data-field="shapes">${text}${note}</p>`;
}

/** One input: local gradient (rule, number) and the signal it gets. */
function inputItem(entry, slot, { details, node, known, nodes }) {
  const parent = nodes.get(entry.parent);
  const signal = details.signals[slot].value;
  const rule = texToHtml(entry.rule || "");
  const v = entry.value;
  let local;
  // A rule ending in its number (∂z/∂b = 1) is not followed by "= 1" again.
  if (known.value && typeof v === "number" && plain(rule).endsWith(`= ${f(v)}`))
    local = `<span class="num tex" data-field="local" data-value="${v}">${rule}</span>`;
  else {
    const value = !known.value
      ? pending("local")
      : v === null
        ? "a Jacobian of 3 or 4 dimensions (not listed)"
        : Array.isArray(v)
          ? matrix(v, "local", `local gradient [${formatShape(shapeOf(v))}]`)
          : num(v, "local");
    local = `<span class="tex">${rule}</span> = ${value}`;
  }
  const sent = !known.grad
    ? pending("signal")
    : Array.isArray(signal)
      ? matrix(signal, "signal", `signal [${formatShape(parent.shape)}]`)
      : typeof v === "number" && typeof details.grad === "number"
        ? `upstream × local = ${num(details.grad, "upstream", "is-grad")} × ${num(v)} = ${num(signal, "signal", "is-grad")}`
        : num(signal, "signal", "is-grad");
  const shapes =
    node.op === "matmul"
      ? matmulShapes(
          slot,
          node.parents.map((p) => nodes.get(p)),
          node.shape,
        )
      : "";
  const shape = isTensor(parent.shape)
    ? ` <span class="shape">[${formatShape(parent.shape)}]</span>`
    : "";
  return `<li data-parent="${esc(entry.parent)}"><p>To <strong>${esc(nodeTitle(parent))}</strong>${shape}</p><p>Local gradient: ${local}</p><p class="graph-signal">Signal sent back: ${sent}</p>${shapes}</li>`;
}

function panelHtml(ctx) {
  const { details, node, known, nodes } = ctx;
  const title = esc(nodeTitle(node));
  const symbol = opSymbol(node.op) === node.op ? "" : ` (${opSymbol(node.op)})`;
  const fact = (kind, label, v) =>
    `<div><dt>${label}</dt><dd>${v === undefined ? pending(kind) : v === null ? "none (a constant)" : Array.isArray(v) ? matrix(v, kind) : num(v, kind, `is-${kind}`)}</dd></div>`;
  let html = `<h3 class="graph-panel-title" data-node-title="${esc(node.id)}">${title} <span class="graph-panel-op">${esc(opName(node.op) + symbol)}${isTensor(node.shape) ? ` [${formatShape(node.shape)}]` : ""}</span></h3><dl class="graph-facts">`;
  html += fact("value", "Value (forward)", known.value ? details.value : undefined);
  html += `${fact("grad", `Gradient from the loss, ∂L/∂${/[·+−×@]/.test(title) ? `(${title})` : title}`, node.op === "const" ? null : known.grad ? details.grad : undefined)}</dl>`;
  const incoming = details.incoming;
  if (incoming.length > 1 && known.grad) {
    const scalar = incoming.every((item) => typeof item.value === "number");
    const terms = incoming.map(
      (item) =>
        `${esc(nodeTitle(nodes.get(item.child)))}: ${scalar ? num(item.value) : "a signal"}`,
    );
    html += `<p class="graph-sum" data-field="sum">${title} feeds ${incoming.length} nodes, so its gradient is the sum of what arrives: ${terms.join(" + ")}${scalar ? ` = ${num(details.grad)}` : ""}</p>`;
  }
  if (details.local_grads.length)
    html += `<ul>${details.local_grads.map((entry, slot) => inputItem(entry, slot, ctx)).join("")}</ul>`;
  return `${html}<p class="graph-role">${esc(details.role)}</p>`;
}

/** Draw the panel ({node, details, known, nodes}); a live region: replaced only on change. */
function drawPanel(panel, input) {
  const { node, details } = input;
  // While the engine answers (a few ms) the last content stays, marked busy.
  const html = !node
    ? `<p class="graph-panel-hint">Select a node to see its local gradient and the signal it sends back.</p>`
    : details
      ? panelHtml(input)
      : panel.html;
  panel.element.setAttribute("aria-busy", Boolean(node && !details));
  if (html !== panel.html) panel.element.innerHTML = panel.html = html;
}

/** The details element: id="node-details", a polite live region. */
function createPanel(element) {
  element.id = "node-details";
  element.setAttribute("aria-live", "polite");
  return { element, html: "" };
}

export { createPanel, drawPanel, esc, texToHtml };
