// The details panel: a node's value, the gradient arriving from the loss, its notes, and for each
// input the local gradient (rule and number) and the signal sent back. For a matrix product the
// signal is written as the lesson writes it, ∂L/∂h = W2ᵀ · ∂L/∂(W2·h), with every number.
import {
  formatNumber as f,
  formatShape,
  gradTex,
  isTensor,
  nodeTex,
  nodeTitle,
  shapeOf,
  texText,
} from "./format.js";
import { esc, texHtml } from "./tex.js";

/** A number; its exact value in data-value. */
const num = (v, field = "", cls = "") =>
  `<span class="num ${cls}"${field && ` data-field="${field}"`}${typeof v === "number" ? ` data-value="${v}"` : ""}>${f(v)}</span>`;

const BIG = { big: true }; // the panel's fractions at full size, readable on a phone

const pending = (field) =>
  `<span class="num is-pending" data-field="${field}">not computed yet</span>`;

const rows = (value) => (Array.isArray(value[0]) ? value : [value]);
const asColumn = (value) => (Array.isArray(value[0]) ? value : value.map((v) => [v]));
const transpose = (m) => m[0].map((_v, j) => m.map((row) => row[j]));

/** A matrix in brackets with its shape under it; each cell's exact value in data-value. */
function matrix(value, field = "", caption = "") {
  const body = value
    .map((row) => `<tr>${row.map((v) => `<td data-value="${v}">${f(v)}</td>`).join("")}</tr>`)
    .join("");
  const shape = formatShape(shapeOf(value));
  return `<span class="graph-matrix-wrap"><table class="graph-matrix"${field && ` data-field="${field}"`}>${body}</table><span class="graph-matrix-caption">${caption}${caption && " "}<span class="shape">${shape}</span></span></span>`;
}

/** A value as on the page: a number, or a matrix (a vector shown as one row). */
const valueHtml = (v, field, cls) =>
  Array.isArray(v) ? matrix(rows(v), field) : num(v, field, cls);

const column = (s) => (s.length === 1 ? [s[0], 1] : s); // a vector counts as a column
const paren = (s) => `(${s.join("×") || "number"})`;

/**
 * The matrix product's signal with its numbers: to the vector (or right matrix) Aᵀ · upstream,
 * to the matrix on the left upstream · Bᵀ; null when the shapes are not matrix by column.
 */
function matmulWorked(slot, node, [left, right], details) {
  if (left.shape.length !== 2 || right.shape.length > 2 || !isTensor(right.shape)) return null;
  const upstream = asColumn(details.grad);
  const signal = asColumn(details.signals[slot].value);
  const [a, b, z] = [nodeTex(left), nodeTex(right), gradTex(node)];
  const target = slot ? right : left;
  const formula = slot
    ? `${gradTex(target)} = ${a}^{\\top} \\cdot ${z}`
    : `${gradTex(target)} = ${z} \\cdot ${b}^{\\top}`;
  // [value, data-field, caption]: the transposed operand, the upstream gradient, the result.
  const factors = slot
    ? [
        [transpose(left.value), "transposed", `${texText(a)}ᵀ`],
        [upstream, "upstream", "upstream"],
      ]
    : [
        [upstream, "upstream", "upstream"],
        [transpose(asColumn(right.value)), "transposed", `${texText(b)}ᵀ`],
      ];
  const numbers = `${matrix(...factors[0])}<span class="graph-op">·</span>${matrix(...factors[1])}<span class="graph-op">=</span>${matrix(signal, "signal", "signal")}`;
  const t = (n) => paren(column(n.shape).slice().reverse());
  const g = paren(column(node.shape));
  const shapes = slot
    ? `${t(left)} · ${g} → ${paren(column(right.shape))}`
    : `${g} · ${t(right)} → ${paren(column(left.shape))}`;
  const note = right.shape.length < 2 ? " (a vector counts as a column)" : "";
  return `<p class="graph-worked">${texHtml(formula, BIG)}</p><div class="graph-matrices">${numbers}</div><p class="graph-shapes" data-field="shapes">Shapes: ${shapes}${note}</p>`;
}

/** One input: local gradient (rule, number) and the signal it gets. */
function inputItem(entry, slot, { details, node, known, nodes }) {
  const parent = nodes.get(entry.parent);
  const signal = details.signals[slot].value;
  // A matrix rule names the Jacobian, then the product it leads to: the product is worked below.
  const ruleTex = (entry.rule || "").split(/,\\quad\s*/)[0];
  const rule = ruleTex ? texHtml(ruleTex, BIG) : "";
  const v = entry.value;
  const worked =
    node.op === "matmul" && known.grad
      ? matmulWorked(
          slot,
          node,
          node.parents.map((p) => nodes.get(p)),
          details,
        )
      : null;
  let local;
  // A rule ending in its number (∂z/∂b = 1) is not followed by "= 1" again.
  if (known.value && typeof v === "number" && texText(ruleTex).endsWith(`= ${f(v)}`))
    local = `<span class="num" data-field="local" data-value="${v}">${rule}</span>`;
  else if (v === null || v === undefined) local = rule;
  else local = `${rule} = ${known.value ? valueHtml(v, "local") : pending("local")}`;
  let sent;
  if (!known.grad) sent = pending("signal");
  else if (worked) sent = "";
  else if (Array.isArray(signal)) sent = matrix(rows(signal), "signal");
  else if (typeof v === "number" && typeof details.grad === "number")
    sent = `upstream × local = ${num(details.grad, "upstream", "is-grad")} × ${num(v)} = ${num(signal, "signal", "is-grad")}`;
  else sent = num(signal, "signal", "is-grad");
  const shape = isTensor(parent.shape)
    ? ` <span class="shape">[${formatShape(parent.shape)}]</span>`
    : "";
  // Divs, not paragraphs: a matrix is a table, which a paragraph cannot hold.
  const signalLine = sent ? `<div class="graph-signal">Signal sent back: ${sent}</div>` : "";
  return `<li data-parent="${esc(entry.parent)}"><p>To ${texHtml(parent.tex || parent.id)}${shape}</p><div class="graph-local">Local gradient: ${local}</div>${signalLine}${worked ? `<div class="graph-signal">Signal sent back:${worked}</div>` : ""}</li>`;
}

const NOTE_HEAD = "Notes on this node";

function panelHtml(ctx) {
  const { details, node, known, nodes, check } = ctx;
  const fact = (kind, label, v) =>
    `<div><dt>${label}</dt><dd>${v === undefined ? pending(kind) : v === null ? "none (a constant)" : valueHtml(v, kind, `is-${kind}`)}</dd></div>`;
  const shape = isTensor(node.shape) ? ` [${formatShape(node.shape)}]` : "";
  let html = `<h3 class="graph-panel-title" data-node-title="${esc(node.id)}">${texHtml(node.tex || node.id)} <span class="graph-panel-op">${esc(node.op)}${shape}</span></h3><dl class="graph-facts">`;
  html += fact("value", "Value (forward)", known.value ? details.value : undefined);
  const grad = node.op === "const" ? null : known.grad ? details.grad : undefined;
  html += `${fact("grad", `Gradient from the loss, ${texHtml(gradTex(node), BIG)}`, grad)}</dl>`;
  const notes = details.notes || [];
  if (notes.length)
    html += `<div class="graph-notes" data-field="notes"><p class="graph-notes-head">${NOTE_HEAD}</p><ul>${notes.map((n) => `<li data-note="${esc(n.id)}">${esc(n.text)}</li>`).join("")}</ul></div>`;
  if (check && check.verdict !== "agrees")
    html += `<p class="graph-check-verdict" data-verdict="${esc(check.verdict)}">Gradient check: ${esc(check.text)}${check.reason ? `. ${esc(check.reason)}` : ""}</p>`;
  const incoming = details.incoming;
  if (incoming.length > 1 && known.grad) {
    const scalar = incoming.every((item) => typeof item.value === "number");
    const terms = incoming.map(
      (item) =>
        `${texHtml(nodeTex(nodes.get(item.child)))}: ${scalar ? num(item.value) : "a signal"}`,
    );
    html += `<p class="graph-sum" data-field="sum">${esc(nodeTitle(node))} feeds ${incoming.length} nodes, so its gradient is the sum of what arrives: ${terms.join(" + ")}${scalar ? ` = ${num(details.grad)}` : ""}</p>`;
  }
  if (details.local_grads.length)
    html += `<ul class="graph-inputs-list">${details.local_grads.map((entry, slot) => inputItem(entry, slot, ctx)).join("")}</ul>`;
  return `${html}<p class="graph-role">${esc(details.role)}</p>`;
}

/** Draw the panel ({node, details, known, nodes, check}); replaced only when it changes. */
function drawPanel(panel, input) {
  const { node, details } = input;
  // While the engine answers (a few ms) the last content stays, marked busy.
  const html = !node
    ? `<p class="graph-panel-hint">Select a node to see its local gradient and the signal it sends back.</p>`
    : details
      ? panelHtml(input)
      : panel.html;
  panel.element.setAttribute("aria-busy", Boolean(node && !details));
  if (html !== panel.html) {
    panel.element.innerHTML = html;
    panel.html = html;
  }
}

let panels = 0;

/** The details element: a polite live region, id="node-details" on the page's first graph. */
function createPanel(element) {
  panels += 1;
  element.id = panels === 1 ? "node-details" : `node-details-${panels}`;
  element.setAttribute("aria-live", "polite");
  return { element, html: "" };
}

export { createPanel, drawPanel };
