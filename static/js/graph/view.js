// The graph in SVG: buildView makes the elements once per graph structure, drawView only sets
// text, attributes and classes. Keyboard moves between nodes live here, next to the geometry.
import { layout } from "./layout.js";

const NS = "http://www.w3.org/2000/svg";
const MIN_SCALE = 0.7; // smaller labels are too hard to read: the canvas pans instead
const SYMBOLS = { add: "+", sub: "−", mul: "×", div: "÷", pow: "^", neg: "−", identity: "=", matmul: "@", sigmoid: "σ", sum: "Σ" };
const NAMES = { add: "addition", sub: "subtraction", mul: "multiplication", div: "division", pow: "power", neg: "negation", identity: "copy", matmul: "matrix product", exp: "exponential", log: "logarithm", max: "maximum", bce: "binary cross-entropy", mse: "mean squared error", const: "constant" };
let uid = 0;

/** A number as students read it: 4 significant digits, a true minus sign, "—" when missing. */
function formatNumber(v) {
  if (v === null || v === undefined) return "—";
  if (typeof v !== "number" || Number.isNaN(v)) return String(v);
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
  const a = Math.abs(v);
  const text = v === 0 ? "0" : a >= 1e5 || a < 1e-3 ? v.toExponential(2).replace(/\.?0+e\+?/, "e") : String(Number(v.toPrecision(4)));
  return text.replace("-", "−");
}

const isTensor = (shape) => Array.isArray(shape) && shape.length > 0;
const formatShape = (shape) => (isTensor(shape) ? shape.join("×") : "");
const opSymbol = (op) => SYMBOLS[op] || op;
const opName = (op) => NAMES[op] || op;
const edgeKey = (from, to, slot) => `${from}>${to}#${slot}`;

/** A node's name as drawn: its own, or for an unnamed result the expression it computes (w·x). */
function nodeTitle(node) {
  if (!node.id.startsWith("_") || !node.tex) return node.label || node.id;
  const text = node.tex.replace(/\\left|\\right/g, "").replace(/\\,/g, "·").replace(/[_{}\\\s]/g, "");
  return text.length <= 14 ? text : node.label || node.id;
}

function el(name, attributes, parent) {
  const node = document.createElementNS(NS, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  parent.append(node);
  return node;
}

const toggle = (node, name, on) => node.classList.toggle(name, Boolean(on));

/** The SVG canvas in `host`; handlers = {onActivate(id), onMove(id), onIntent(id)}. */
function createView(host, handlers) {
  uid += 1;
  const svg = el("svg", { class: "graph-svg", role: "group" }, host);
  const defs = el("defs", {}, svg);
  const arrows = [
    ["graph-arrow", "9", "auto"],
    ["graph-arrow-back", "1", "auto-start-reverse"],
  ].map(([cls, refX, orient]) => {
    const marker = el("marker", { id: `${cls}-${uid}`, class: cls, viewBox: "0 0 10 10", refX, refY: "5", markerWidth: "7", markerHeight: "7", orient }, defs);
    el("path", { d: "M0,0L10,5L0,10z" }, marker);
    return `url(#${cls}-${uid})`;
  });
  const groups = ["edges", "flows", "nodes", "labels"].map((name) => el("g", { class: `graph-${name}` }, svg));
  const view = { svg, host, arrows, groups, handlers, nodes: new Map(), edges: new Map(), structure: "" };
  // Say when the canvas pans (the graph is wider than its box), so students know to scroll it.
  const pans = () => host.classList.toggle("is-panning", svg.clientWidth > host.clientWidth + 1);
  if (window.ResizeObserver) new ResizeObserver(pans).observe(host);
  view.pans = pans;
  const target = (event) => event.target.closest && event.target.closest("[data-node]");
  svg.addEventListener("click", (event) => target(event) && handlers.onActivate(target(event).dataset.node));
  svg.addEventListener("keydown", (event) => onKeydown(view, event, target(event)));
  // Intent (a pointer over a node, the focus on it) lets the widget ask the engine early.
  for (const type of ["pointerover", "focusin"]) svg.addEventListener(type, (event) => target(event) && handlers.onIntent(target(event).dataset.node));
  return view;
}

/** Rebuild the elements when the graph's structure changes; returns whether it did. */
function buildView(view, nodes, output) {
  const structure = JSON.stringify(nodes.map((n) => [n.id, n.label, n.op, n.parents, n.shape]));
  if (structure === view.structure) return false;
  Object.assign(view, { structure, output, order: nodes });
  const size = (n) => ({ w: Math.max(124, Math.min(220, nodeTitle(n).length * 10 + 48)), h: 70 });
  const g = (view.geometry = layout(nodes, size, { gapX: 60, gapY: 24 }));
  const [edgeGroup, flowGroup, nodeGroup, labelGroup] = view.groups;
  view.groups.forEach((group) => group.replaceChildren());
  view.nodes.clear();
  view.edges.clear();
  view.svg.setAttribute("viewBox", `0 0 ${Math.round(g.width)} ${Math.round(g.height)}`);
  view.svg.style.minWidth = `${Math.round(g.width * MIN_SCALE)}px`;
  view.svg.style.maxWidth = `${Math.round(g.width * 1.25)}px`;
  for (const e of g.edges) {
    const key = edgeKey(e.from, e.to, e.index);
    const path = el("path", { class: "graph-edge", d: e.d, "marker-end": view.arrows[0], "data-from": e.from, "data-to": e.to }, edgeGroup);
    const flow = el("path", { class: "graph-flow", d: e.d, "marker-start": view.arrows[1] }, flowGroup);
    const m = e.points.length >> 1; // the middle segment; its curve's midpoint is the mean of its ends
    const [[x0, y0], [x1, y1]] = [e.points[Math.max(0, m - (e.points.length % 2 ? 0 : 1))], e.points[m]];
    const label = el("text", { class: "graph-edge-label", x: (x0 + x1) / 2, y: (y0 + y1) / 2 - 5, "text-anchor": "middle", "aria-hidden": "true" }, labelGroup);
    view.edges.set(key, { key, path, flow, label });
  }
  for (const n of nodes) {
    const b = g.boxes.get(n.id);
    const node = el("g", { class: "graph-node", "data-node": n.id, role: "button", tabindex: "-1", transform: `translate(${b.x - b.w / 2},${b.y - b.h / 2})` }, nodeGroup);
    el("rect", { class: "graph-node-ring", x: -5, y: -5, width: b.w + 10, height: b.h + 10, rx: 14 }, node);
    el("rect", { class: "graph-node-box", width: b.w, height: b.h, rx: 10 }, node);
    el("text", { class: "graph-node-title", x: 9, y: 21 }, node).textContent = nodeTitle(n);
    if (n.op !== "input" && n.op !== "const") el("text", { class: "graph-node-op", x: b.w - 8, y: 20, "text-anchor": "end" }, node).textContent = opSymbol(n.op);
    const line = (cls, y) => el("text", { class: cls, x: 9, y }, node);
    const check = el("text", { class: "graph-node-check", x: b.w / 2, y: b.h + 15, "text-anchor": "middle" }, node);
    view.nodes.set(n.id, { node, value: line("graph-node-value", 43), grad: line("graph-node-grad", 62), check, data: n });
  }
  view.pans();
  return true;
}

/** One line of a node: a small caption and the number (or the shape, or "—" if not computed). */
function drawLine(text, caption, value, shape) {
  const shown = value === undefined ? "—" : value === null ? "n/a" : isTensor(shape) ? `[${formatShape(shape)}]` : formatNumber(value);
  if (text.dataset.text !== caption + shown) {
    text.dataset.text = caption + shown;
    text.innerHTML = `<tspan class="graph-node-caption">${caption} </tspan><tspan>${shown}</tspan>`;
  }
  // The exact number behind the rounded label (for tests and tools); absent while not computed.
  if (value === undefined || value === null) text.removeAttribute("data-raw");
  else text.setAttribute("data-raw", JSON.stringify(value));
  toggle(text, "is-pending", value === undefined);
}

function words(name, value, shape) {
  if (value === undefined) return `${name} not computed yet`;
  return isTensor(shape) ? `${name} a ${shape.join(" by ")} ${shape.length > 1 ? "matrix" : "vector"}` : `${name} ${formatNumber(value)}`;
}

/**
 * Set everything from `scene` = {nodes: [{id, op, shape, value, grad}] (undefined: not computed),
 * selected, focused, current, signals: Map edge key -> number|null (strong), incoming: the same
 * (light), forward: Set of keys, checks: Map input -> {text, ok} or null}.
 */
function drawView(view, scene) {
  for (const n of scene.nodes) {
    const item = view.nodes.get(n.id);
    if (!item) continue;
    const { node } = item;
    const isConst = n.op === "const";
    drawLine(item.value, "val", n.value, n.shape);
    drawLine(item.grad, isConst ? "" : "grad", isConst ? null : n.grad, n.shape);
    for (const [name, on] of [["is-input", n.op === "input"], ["is-const", isConst], ["is-output", n.id === view.output], ["is-selected", n.id === scene.selected], ["is-current", n.id === scene.current]]) toggle(node, name, on);
    node.setAttribute("tabindex", n.id === scene.focused ? "0" : "-1");
    node.setAttribute("aria-pressed", String(n.id === scene.selected));
    const role = n.id === view.output ? "the loss, " : "";
    node.setAttribute("aria-label", `${nodeTitle(item.data)}, ${role}${opName(n.op)}, ${words("value", n.value, n.shape)}${isConst ? "" : `, ${words("gradient", n.grad, n.shape)}`}`);
    const check = scene.checks && scene.checks.get(n.id);
    item.check.textContent = check ? `numeric ${check.text} ${check.ok ? "✓" : "✗"}` : "";
    toggle(item.check, "is-bad", check && !check.ok);
  }
  for (const e of view.edges.values()) {
    const strong = scene.signals.has(e.key);
    const light = !strong && scene.incoming.has(e.key);
    const number = strong ? scene.signals.get(e.key) : light ? scene.incoming.get(e.key) : null;
    toggle(e.path, "is-signal", strong);
    toggle(e.path, "is-incoming", light);
    toggle(e.path, "is-forward", scene.forward.has(e.key));
    toggle(e.flow, "is-incoming", light);
    // A new highlight starts the flow animation again; no forced layout: the class comes back later.
    toggle(e.flow, "is-active", strong || light);
    toggle(e.flow, "is-running", strong || light);
    e.label.textContent = typeof number === "number" ? formatNumber(number) : "";
    toggle(e.label, "is-incoming", light);
  }
}

/** The node an arrow key moves to: connected nodes first, the nearest in that direction. */
function neighbour(view, id, key) {
  const { boxes, children, layers } = view.geometry;
  const here = boxes.get(id);
  const parents = view.nodes.get(id).data.parents;
  const kids = children.get(id) || [];
  const nearest = (ids, score) => ids.filter((o) => o !== id && boxes.has(o)).sort((a, b) => score(boxes.get(a)) - score(boxes.get(b)))[0];
  const dy = (b) => Math.abs(b.y - here.y);
  if (key === "ArrowLeft") return nearest(parents, dy);
  if (key === "ArrowRight") return nearest(kids, dy);
  const side = (o) => (key === "ArrowUp" ? boxes.get(o).y < here.y - 1 : boxes.get(o).y > here.y + 1);
  const near = new Set(layers[here.layer]);
  for (const p of parents) for (const k of children.get(p) || []) near.add(k);
  for (const k of kids) for (const p of view.nodes.get(k).data.parents) near.add(p);
  const distance = (b) => dy(b) + 2 * Math.abs(b.x - here.x);
  const close = [...near].filter((o) => boxes.has(o) && side(o));
  return nearest(close.length ? close : [...boxes.keys()].filter(side), distance);
}

function onKeydown(view, event, target) {
  if (!target || event.altKey || event.ctrlKey || event.metaKey) return;
  const id = target.dataset.node;
  const { key } = event;
  let next;
  if (key === "Enter" || key === " ") next = null;
  else if (key.startsWith("Arrow")) next = neighbour(view, id, key);
  else if (key === "Home") next = (view.order.find((n) => n.op === "input") || view.order[0]).id;
  else if (key === "End") next = view.output;
  else return;
  event.preventDefault();
  if (next === null) view.handlers.onActivate(id);
  else if (next) view.handlers.onMove(next);
}

/** Move the keyboard focus to a node (after drawView gave it the tab stop). */
function focusNode(view, id) {
  const item = view.nodes.get(id);
  if (item) item.node.focus();
}

export { createView, buildView, drawView, focusNode, edgeKey, nodeTitle, formatNumber, formatShape, isTensor, opSymbol, opName };
