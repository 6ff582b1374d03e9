// The details panel: a node's value, the gradient arriving from the loss, and for each input the
// local gradient (rule and number) and the signal sent back, upstream × local = result.
import { formatNumber, formatShape, isTensor, nodeTitle, opName, opSymbol } from "./view.js";

const esc = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const SYMBOLS = { partial: "∂", sigma: "σ", top: "T", cdot: "·", times: "×", odot: "⊙", ge: "≥", le: "≤", quad: "\u2003", ",": "·", ";": " ", " ": " " };

/**
 * The engine's TeX rules in readable HTML, without KaTeX in the browser: \frac (∂z/∂w), sub- and
 * superscripts, \bar, \text, \begin{cases}, \sigma. The engine writes \, only between factors,
 * so it shows as ·. Anything unknown shows as its name, never as markup.
 */
function texToHtml(tex) {
  const src = String(tex).replace(/\\begin\{cases\}([\s\S]*?)\\end\{cases\}/g, (_m, body) => {
    const rows = body.split("\\\\").map((row) => row.split("&").map((cell) => cell.trim()));
    const text = rows.map(([v, c = ""]) => (/otherwise/.test(c) ? `${v}\\text{ otherwise}` : `${v}\\text{ if }${c}`));
    return `\\text{{ }${text.join("\\text{, }")}\\text{ }}`;
  });
  let i = 0;
  const plain = (html) => html.replace(/<[^>]*>/g, "");
  const wrap = (html) => (plain(html).length > 1 && /[\s+\-−·×/]/.test(plain(html)) ? `(${html})` : html);
  const group = () => {
    while (src[i] === " ") i += 1;
    if (src[i] !== "{") return atom();
    i += 1;
    let html = "";
    while (i < src.length && src[i] !== "}") html += atom();
    i += 1;
    return html;
  };
  const raw = () => {
    const start = src.indexOf("{", i) + 1;
    i = src.indexOf("}", start) + 1;
    return esc(src.slice(start, i - 1));
  };
  function command() {
    const name = /^[A-Za-z]+/.exec(src.slice(i + 1))?.[0] || src[i + 1] || "";
    i += 1 + name.length;
    if (/^[A-Za-z]/.test(name)) while (src[i] === " ") i += 1; // as in TeX
    if (name === "frac") {
      const [top, bottom] = [group(), group()];
      return plain(top).startsWith("∂") ? `${top}/${bottom}` : `${wrap(top)}/${wrap(bottom)}`;
    }
    if (["text", "mathrm", "operatorname"].includes(name)) return raw();
    if (name === "bar") return `<span class="tex-bar">${group()}</span>`;
    if (name === "left" || name === "right") return "";
    return esc(SYMBOLS[name] ?? name);
  }
  function atom() {
    const c = src[i];
    if (c === "\\") return command();
    if (c === "{") return group();
    i += 1;
    if (c === "^" || c === "_") {
      const tag = c === "^" ? "sup" : "sub";
      return `<${tag}>${group()}</${tag}>`;
    }
    return c === "-" ? "−" : esc(c);
  }
  let html = "";
  while (i < src.length) html += atom();
  return html.replace(/\s+/g, " ").trim();
}

/** A number with its exact value in data-value, for tests and for copying. */
function num(value, field = "", cls = "") {
  const data = typeof value === "number" ? ` data-value="${value}"` : "";
  return `<span class="num ${cls}"${field && ` data-field="${field}"`}${data}>${esc(formatNumber(value))}</span>`;
}

/** A vector (one row) or matrix as a small table; each cell keeps its exact value. */
function matrix(value, field, caption = "") {
  const rows = (Array.isArray(value[0]) ? value : [value]).map((row) => `<tr>${row.map((v) => `<td data-value="${v}">${esc(formatNumber(v))}</td>`).join("")}</tr>`);
  return `<table class="graph-matrix" data-field="${field}">${caption && `<caption>${esc(caption)}</caption>`}<tbody>${rows.join("")}</tbody></table>`;
}

const shapeOf = (v) => (Array.isArray(v) ? [v.length, ...shapeOf(v[0])] : []);
const pending = (field, why = "") => `<span class="num is-pending" data-field="${field}">not computed yet${why}</span>`;
const quantity = (v, field, cls) => (v === undefined ? pending(field) : v === null ? `<span class="num" data-field="${field}">none (a constant)</span>` : Array.isArray(v) ? matrix(v, field) : num(v, field, cls));
// In a matrix product a vector stands as a column: n is n×1, its transpose 1×n.
const column = (s) => (s.length === 1 ? [s[0], 1] : s);
const paren = (s) => `(${s.length ? s.join("×") : "number"})`;

/** The chain rule with shapes for a matrix product: where the transpose comes from. */
function matmulShapes(slot, [left, right], upstream) {
  const t = (n) => paren(column(n.shape).slice().reverse());
  const [a, b] = [esc(nodeTitle(left)), esc(nodeTitle(right))];
  const note = left.shape.length === 1 || right.shape.length === 1 ? " (a vector counts as a column)" : "";
  const text = slot
    ? `signal to ${b} = ${a}<sup>T</sup> · upstream: ${t(left)} · ${paren(column(upstream))} → ${paren(column(right.shape))}`
    : `signal to ${a} = upstream · ${b}<sup>T</sup>: ${paren(column(upstream))} · ${t(right)} → ${paren(column(left.shape))}`;
  return `<p class="graph-shapes" data-field="shapes">${text}${note}</p>`;
}

/** One input: its local gradient (rule and number) and the signal it gets, numbers plugged in. */
function inputItem(entry, slot, ctx) {
  const { details, node, known } = ctx;
  const parent = ctx.nodes.get(entry.parent) || { id: entry.parent, shape: [] };
  const signal = details.signals[slot] || {};
  const rule = entry.rule ? texToHtml(entry.rule) : "";
  const v = entry.value;
  let local;
  // A rule that already ends in its number ("∂z/∂b = 1") is not followed by "= 1" again.
  if (known.value && typeof v === "number" && rule.replace(/<[^>]*>/g, "").endsWith(`= ${formatNumber(v)}`)) local = `<span class="num tex" data-field="local" data-value="${v}">${rule}</span>`;
  else {
    const value = !known.value ? pending("local") : v === null ? `<span class="num" data-field="local">a Jacobian of more than two dimensions (not listed)</span>` : Array.isArray(v) ? matrix(v, "local", `local gradient [${formatShape(shapeOf(v))}]`) : num(v, "local");
    local = `${rule && `<span class="tex">${rule}</span> = `}${value}`;
  }
  let sent;
  if (!known.grad) sent = pending("signal", `: the backward pass has not reached ${esc(nodeTitle(node))}`);
  else if (typeof details.grad === "number" && typeof v === "number" && !isTensor(parent.shape)) sent = `upstream × local = ${num(details.grad, "upstream", "is-grad")} × ${num(v)} = ${num(signal.value, "signal", "is-grad")}`;
  else sent = Array.isArray(signal.value) ? matrix(signal.value, "signal", `signal [${formatShape(parent.shape)}]`) : num(signal.value, "signal", "is-grad");
  const shapes = node.op === "matmul" ? matmulShapes(slot, node.parents.map((p) => ctx.nodes.get(p)), node.shape) : "";
  const shape = isTensor(parent.shape) ? ` <span class="shape">[${formatShape(parent.shape)}]</span>` : "";
  return `<li class="graph-input" data-parent="${esc(entry.parent)}"><p>To <strong>${esc(nodeTitle(parent))}</strong>${shape}</p><p>Local gradient: ${local}</p><p class="graph-signal">Signal sent back: ${sent}</p>${shapes}</li>`;
}

function panelHtml({ details, node, known, nodes }) {
  const title = nodeTitle(node);
  const symbol = ["input", "const"].includes(node.op) || opSymbol(node.op) === node.op ? "" : ` (${opSymbol(node.op)})`;
  const shape = isTensor(node.shape) ? ` <span class="shape">[${formatShape(node.shape)}]</span>` : "";
  const fact = (kind, label, value) => `<div><dt><span class="swatch is-${kind}" aria-hidden="true"></span>${label}</dt><dd>${quantity(value, kind, `is-${kind}`)}</dd></div>`;
  let html = `<h3 class="graph-panel-title" data-node-title="${esc(node.id)}">${esc(title)} <span class="graph-panel-op">${esc(opName(node.op) + symbol)}</span>${shape}</h3><dl class="graph-facts">`;
  html += fact("value", "Value (forward)", known.value ? details.value : undefined);
  html += fact("grad", `Gradient from the loss, ∂L/∂${esc(/[·+−×@]/.test(title) ? `(${title})` : title)}`, node.op === "const" ? null : known.grad ? details.grad : undefined) + "</dl>";
  // Where a node feeds several others, its gradient is the sum of what arrives from each.
  const incoming = details.incoming || [];
  if (incoming.length > 1 && known.grad) {
    const scalar = incoming.every((item) => typeof item.value === "number");
    const terms = incoming.map((item) => `${esc(nodeTitle(nodes.get(item.child) || { id: item.child }))}: ${scalar ? num(item.value) : "a signal"}`);
    html += `<p class="graph-sum" data-field="sum">${esc(title)} feeds ${incoming.length} nodes, so its gradient is the sum of what arrives: ${terms.join(" + ")}${scalar ? ` = ${num(details.grad)}` : ""}</p>`;
  }
  const ctx = { details, node, known, nodes };
  if (details.local_grads.length) html += `<ul class="graph-parents">${details.local_grads.map((entry, slot) => inputItem(entry, slot, ctx)).join("")}</ul>`;
  return `${html}<p class="graph-role">${esc(details.role || "")}</p>`;
}

/** Draw the panel; its content is replaced only when it changes (it is a live region). */
function drawPanel(panel, input) {
  const { node, details } = input;
  // While the engine answers (a few ms), what is shown stays: no flash of "loading".
  const html = !node ? `<p class="graph-panel-hint">Click, tap or press Enter on a node to see its local gradient and the signal it sends back.</p>` : details ? panelHtml(input) : panel.html || `<p>Loading ${esc(nodeTitle(node))}…</p>`;
  panel.element.setAttribute("aria-busy", String(Boolean(node && !details)));
  if (html !== panel.html) panel.element.innerHTML = panel.html = html;
}

/** The details element: id="node-details", a polite live region. */
function createPanel(element) {
  element.id = "node-details";
  element.setAttribute("aria-live", "polite");
  return { element, html: "" };
}

export { createPanel, drawPanel, texToHtml, esc };
