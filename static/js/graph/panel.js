// The details panel: one node's value, the gradient arriving from the loss, and for each input
// the local gradient (its rule and number) and the signal sent back, upstream × local = result.
import { formatNumber, formatShape, isTensor, nodeTitle, OP_NAMES, OP_SYMBOLS } from "./view.js";

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const SYMBOLS = {
  partial: "∂", sigma: "σ", delta: "δ", top: "T", cdot: "·", times: "×", odot: "⊙", ge: "≥", le: "≤",
  geq: "≥", leq: "≤", neq: "≠", quad: "\u2003", qquad: "\u2003\u2003", ",": "·", // the rules use \, only between factors ";": "\u2002",
  " ": " ", "!": "", log: "log", exp: "exp", tanh: "tanh", max: "max", min: "min", sum: "Σ",
  infty: "∞", to: "→", cdots: "⋯", ldots: "…", "{": "{", "}": "}", "\\": "; ",
};

/**
 * A readable HTML form of the engine's TeX rules, without shipping KaTeX to the browser.
 * Covers what the rules use: \frac (∂z/∂w), sub- and superscripts, \bar, \text, \begin{cases},
 * Greek letters and operators. Anything unknown shows as its name, never as markup.
 */
function texToHtml(tex) {
  const cases = /\\begin\{cases\}([\s\S]*?)\\end\{cases\}/g;
  const withCases = String(tex).replace(cases, (_match, body) => {
    const rows = body.split(/\\\\/).map((row) => row.split("&").map((cell) => cell.trim()));
    const parts = rows.map(([value, condition = ""]) =>
      /^\\text\{\s*otherwise\s*\}$/.test(condition) ? `${value} \\text{ otherwise}` : `${value} \\text{ if } ${condition}`,
    );
    return `\\text{\u0000}${parts.join("\\text{, }")}`; // \u0000 marks where the braces open
  });
  let i = 0;
  let openCases = 0;
  const source = withCases;

  function readCommand() {
    i += 1; // the backslash
    const letters = /^[A-Za-z]+/.exec(source.slice(i));
    const name = letters ? letters[0] : source[i] || "";
    i += name.length || 1;
    if (letters) skipSpaces(); // as in TeX, a space after a command word is not printed
    return name;
  }
  function readRawGroup() {
    skipSpaces();
    if (source[i] !== "{") return "";
    let depth = 0;
    const start = i + 1;
    for (; i < source.length; i += 1) {
      if (source[i] === "{") depth += 1;
      else if (source[i] === "}" && (depth -= 1) === 0) break;
    }
    const text = source.slice(start, i);
    i += 1;
    return text;
  }
  function skipSpaces() {
    while (source[i] === " ") i += 1;
  }
  function argument() {
    skipSpaces();
    if (source[i] === "{") {
      i += 1;
      const html = sequence("}");
      i += 1;
      return html;
    }
    return atom();
  }
  function sequence(stop) {
    let html = "";
    while (i < source.length && source[i] !== stop) html += atom();
    return html;
  }
  function plain(html) {
    return html.replace(/<[^>]*>/g, "");
  }
  function wrap(html) {
    const text = plain(html);
    return text.length > 1 && /[\s+\-−·×/]/.test(text.trim()) ? `(${html})` : html;
  }
  function command(name) {
    if (name === "frac") {
      const top = argument();
      const bottom = argument();
      if (plain(top).startsWith("∂") && plain(bottom).startsWith("∂")) return `${top}/${bottom}`;
      return `${wrap(top)}/${wrap(bottom)}`;
    }
    if (name === "text" || name === "mathrm" || name === "operatorname" || name === "textrm") {
      const raw = readRawGroup();
      if (raw === "\u0000") {
        openCases += 1;
        return "{ ";
      }
      return escapeHtml(raw);
    }
    if (name === "mathbf" || name === "boldsymbol") return `<b>${argument()}</b>`;
    if (name === "bar" || name === "overline") return `<span class="tex-bar">${argument()}</span>`;
    if (name === "hat") return `${argument()}\u0302`;
    if (name === "sqrt") return `√${wrap(argument())}`;
    if (name === "left" || name === "right" || name === "big" || name === "Big") return "";
    if (name in SYMBOLS) return escapeHtml(SYMBOLS[name]);
    const greek = GREEK[name];
    return escapeHtml(greek || name);
  }
  function atom() {
    const c = source[i];
    if (c === "\\") return command(readCommand());
    if (c === "{") {
      i += 1;
      const html = sequence("}");
      i += 1;
      return html;
    }
    if (c === "^" || c === "_") {
      i += 1;
      const tag = c === "^" ? "sup" : "sub";
      return `<${tag}>${argument()}</${tag}>`;
    }
    i += 1;
    if (c === "'") return "′";
    if (c === "-") return "−";
    if (c === "*") return "·";
    if (c === "~") return " ";
    return escapeHtml(c);
  }
  let html = sequence(undefined);
  if (openCases) html += " }";
  return html.replace(/\s+/g, " ").trim();
}

const GREEK = {
  alpha: "α", beta: "β", gamma: "γ", epsilon: "ε", eta: "η", theta: "θ", lambda: "λ", mu: "μ",
  pi: "π", rho: "ρ", tau: "τ", phi: "φ", psi: "ψ", omega: "ω", Delta: "Δ", Sigma: "Σ", nabla: "∇",
};

function plainText(html) {
  return html.replace(/<[^>]*>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/** A number with its full value kept in data-value, for tests and for copying. */
function num(value, field = "", extra = "") {
  const data = typeof value === "number" ? ` data-value="${value}"` : "";
  const name = field ? ` data-field="${field}"` : "";
  return `<span class="num${extra}"${name}${data}>${escapeHtml(formatNumber(value))}</span>`;
}

/** Entries of a vector or matrix as a small table (vectors as one row). */
function matrix(value, caption, field = "") {
  const rows = Array.isArray(value[0]) ? value : [value];
  const name = field ? ` data-field="${field}"` : "";
  const body = rows
    .map((row) => `<tr>${(Array.isArray(row) ? row : [row]).map((v) => `<td data-value="${v}">${escapeHtml(formatNumber(v))}</td>`).join("")}</tr>`)
    .join("");
  const title = caption ? `<caption>${escapeHtml(caption)}</caption>` : "";
  return `<table class="graph-matrix"${name}>${title}<tbody>${body}</tbody></table>`;
}

function valueShape(value) {
  const shape = [];
  for (let v = value; Array.isArray(v); v = v[0]) shape.push(v.length);
  return shape;
}

function quantity(value, shape, caption, field, kind) {
  if (value === undefined) return `<span class="num is-pending" data-field="${field}">not computed yet</span>`;
  if (value === null) return `<span class="num" data-field="${field}">none (a constant)</span>`;
  if (isTensor(shape) && Array.isArray(value)) return matrix(value, "", field); // the term beside it names it
  return num(value, field, ` is-${kind}`);
}

function bracketShape(shape) {
  return isTensor(shape) ? `(${formatShape(shape)})` : "(number)";
}

/** In a matrix product a vector stands as a column: n becomes n×1, and its transpose 1×n. */
function column(shape) {
  return isTensor(shape) && shape.length === 1 ? [shape[0], 1] : shape;
}

function transposed(shape) {
  const s = column(shape);
  return isTensor(s) ? [s[1], s[0]] : s;
}

/** The chain rule written out with shapes for a matrix product: where the transpose comes from. */
function matmulSignal(index, node, parents, shapeOf, upstreamShape) {
  const [left, right] = parents;
  const leftName = escapeHtml(nodeTitle(left));
  const rightName = escapeHtml(nodeTitle(right));
  const outShape = column(index === 0 ? shapeOf(left.id) : shapeOf(right.id));
  const upstream = column(upstreamShape);
  const note = [left, right].some((p) => shapeOf(p.id).length === 1) ? " (a vector counts as a column)" : "";
  if (index === 1) {
    return (
      `<p class="graph-shapes" data-field="shapes">signal to ${rightName} = ${leftName}<sup>T</sup> · upstream: ` +
      `${bracketShape(transposed(shapeOf(left.id)))} · ${bracketShape(upstream)} → ${bracketShape(outShape)}${note}</p>`
    );
  }
  return (
    `<p class="graph-shapes" data-field="shapes">signal to ${leftName} = upstream · ${rightName}<sup>T</sup>: ` +
    `${bracketShape(upstream)} · ${bracketShape(transposed(shapeOf(right.id)))} → ${bracketShape(outShape)}${note}</p>`
  );
}

/** One input's row: local gradient (rule and number) and the signal, with the numbers plugged in. */
function parentItem(entry, ctx) {
  const { details, node, known, nodesById } = ctx;
  const parent = nodesById.get(entry.parent) || { id: entry.parent, label: entry.parent, shape: [] };
  const signal = (details.signals || []).find((s) => s.parent === entry.parent && !s.used) || {};
  signal.used = true; // an input used twice (x * x) has two rows, each with its own signal
  const parentName = escapeHtml(nodeTitle(parent));
  const tensor = isTensor(node.shape) || isTensor(parent.shape);
  const ruleHtml = entry.rule ? texToHtml(entry.rule) : "";
  const rule = ruleHtml ? `<span class="tex">${ruleHtml}</span>` : "";
  // A rule that already ends in its number ("∂z/∂b = 1") is not followed by "= 1" again.
  const ruleEndsInNumber = typeof entry.value === "number" && plainText(ruleHtml).trim().endsWith(`= ${formatNumber(entry.value)}`);
  let local;
  if (!known.value) local = `<span class="num is-pending" data-field="local">not computed yet</span>`;
  else if (entry.value === null || entry.value === undefined) local = `<span class="num" data-field="local">a Jacobian with more than two dimensions (not listed)</span>`;
  else if (Array.isArray(entry.value)) local = matrix(entry.value, `local gradient [${formatShape(valueShape(entry.value))}]`, "local");
  else local = num(entry.value, "local");
  let signalHtml;
  if (!known.grad) {
    signalHtml = `<span class="num is-pending" data-field="signal">not computed yet: the backward pass has not reached ${escapeHtml(nodeTitle(node))}</span>`;
  } else if (!tensor && typeof details.grad === "number" && typeof entry.value === "number") {
    signalHtml = `upstream × local = ${num(details.grad, "upstream", " is-grad")} × ${num(entry.value)} = ${num(signal.value, "signal", " is-grad")}`;
  } else if (Array.isArray(signal.value)) {
    signalHtml = matrix(signal.value, `signal [${formatShape(parent.shape)}]`, "signal");
  } else {
    signalHtml = num(signal.value, "signal", " is-grad");
  }
  const shapes =
    node.op === "matmul" && ctx.parents.length === 2
      ? matmulSignal(ctx.parents.findIndex((p) => p.id === entry.parent && !p.used), node, ctx.parents, ctx.shapeOf, node.shape)
      : "";
  const found = ctx.parents.find((p) => p.id === entry.parent && !p.used);
  if (found) found.used = true;
  return (
    `<li class="graph-input" data-parent="${escapeHtml(entry.parent)}">` +
    `<p class="graph-input-name">To <strong>${parentName}</strong>${isTensor(parent.shape) ? ` <span class="shape">[${formatShape(parent.shape)}]</span>` : ""}</p>` +
    `<p>Local gradient: ${ruleEndsInNumber && known.value ? `<span class="num" data-field="local" data-value="${entry.value}">${rule}</span>` : `${rule}${rule && local.startsWith("<span") ? " = " : " "}${local}`}</p>` +
    `<p class="graph-signal">Signal sent back: ${signalHtml}</p>${shapes}</li>`
  );
}

/** Where a node feeds several others, its gradient is the sum of what arrives from each. */
function sumLine(details, ctx) {
  const incoming = details.incoming || [];
  if (incoming.length < 2 || !ctx.known.grad) return "";
  const name = escapeHtml(nodeTitle(ctx.node));
  const scalar = incoming.every((item) => typeof item.value === "number");
  const terms = incoming.map((item) => `${escapeHtml(nodeTitle(ctx.nodesById.get(item.child) || { id: item.child }))}: ${scalar ? num(item.value) : "a signal"}`);
  const total = scalar ? ` = ${num(details.grad)}` : "";
  return `<p class="graph-sum" data-field="sum">${name} feeds ${incoming.length} nodes, so its gradient is the sum of what arrives: ${terms.join(" + ")}${total}</p>`;
}

function panelHtml(input) {
  const { details, node, known, nodesById } = input;
  const name = escapeHtml(nodeTitle(node));
  const opName = OP_NAMES[node.op] || node.op;
  const symbol = OP_SYMBOLS[node.op] && !["input", "const"].includes(node.op) ? ` (${escapeHtml(OP_SYMBOLS[node.op])})` : "";
  const shape = isTensor(node.shape) ? ` <span class="shape">[${formatShape(node.shape)}]</span>` : "";
  const parentsOf = (node.parents || []).map((p) => ({ ...(nodesById.get(p) || { id: p, label: p }), used: false }));
  const ctx = { details, node, known, nodesById, parents: parentsOf, shapeOf: (id) => (nodesById.get(id) || {}).shape || [] };
  const title = nodeTitle(node);
  const gradCaption = `∂L/∂${/[·+−×@ ]/.test(title) ? `(${title})` : title}`;
  let html =
    `<h3 class="graph-panel-title" data-node-title="${escapeHtml(node.id)}">${name} <span class="graph-panel-op">${escapeHtml(opName)}${symbol}</span>${shape}</h3>` +
    `<dl class="graph-facts"><div><dt><span class="swatch is-value" aria-hidden="true"></span>Value (forward)</dt><dd>${quantity(known.value ? details.value : undefined, node.shape, "value", "value", "value")}</dd></div>` +
    `<div><dt><span class="swatch is-grad" aria-hidden="true"></span>Gradient from the loss, ${escapeHtml(gradCaption)}</dt><dd>${quantity(known.grad ? details.grad : undefined, node.shape, "gradient", "grad", "grad")}</dd></div></dl>`;
  html += sumLine(details, ctx);
  if (node.op === "input") html += `<p class="graph-note">An input: nothing flows further back. Its gradient says how the loss changes when ${name} changes.</p>`;
  else if (node.op === "const") html += `<p class="graph-note">A constant: it takes part in the forward pass, but no gradient is needed for it.</p>`;
  const locals = details.local_grads || [];
  if (locals.length) html += `<ul class="graph-inputs">${locals.map((entry) => parentItem(entry, ctx)).join("")}</ul>`;
  for (const s of details.signals || []) delete s.used;
  if (details.role) html += `<p class="graph-role">${escapeHtml(details.role)}</p>`;
  return html;
}

/** The panel element's content, replaced only when what it shows changed (it is a live region). */
function drawPanel(panel, input) {
  let html;
  if (!input.node) {
    html = `<p class="graph-panel-hint">Click, tap or press Enter on a node to see its local gradient and the signal it sends back.</p>`;
  } else if (!input.details) {
    // Keep what is shown until the engine answers (a few milliseconds): no flash of "loading".
    html = panel.html || `<p class="graph-panel-hint">Loading ${escapeHtml(nodeTitle(input.node))}…</p>`;
  } else {
    html = panelHtml(input);
  }
  panel.element.setAttribute("aria-busy", input.node && !input.details ? "true" : "false");
  if (html === panel.html) return false;
  panel.html = html;
  panel.lastNode = input.node ? input.node.id : null;
  panel.element.innerHTML = html;
  return true;
}

/** Wrap the details element (id="node-details", a polite live region). */
function createPanel(element) {
  element.id = "node-details";
  element.setAttribute("aria-live", "polite");
  element.classList.add("graph-panel");
  return { element, html: "", lastNode: null };
}

export { createPanel, drawPanel, texToHtml, escapeHtml, num };
