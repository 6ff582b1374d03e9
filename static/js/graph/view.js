// Drawing the graph in SVG: nodes, edges, value and gradient labels, highlighted signals.
// `buildView` makes the elements once per graph structure; `drawView` only sets attributes,
// text and classes. Keyboard movement between nodes also lives here, next to the geometry.
import { layout } from "./layout.js";

const SVG = "http://www.w3.org/2000/svg";
const NODE_H = 70;
const MIN_SCALE = 0.7; // below this the labels get too small to read: the canvas pans instead

const OP_SYMBOLS = {
  add: "+", sub: "−", mul: "×", div: "÷", pow: "^", neg: "−", identity: "=", matmul: "@",
  sigmoid: "σ", relu: "relu", tanh: "tanh", exp: "exp", log: "log", max: "max", sum: "Σ",
  mean: "mean", bce: "bce", mse: "mse", input: "input", const: "const",
};

const OP_NAMES = {
  add: "addition", sub: "subtraction", mul: "multiplication", div: "division", pow: "power",
  neg: "negation", identity: "copy", matmul: "matrix product", sigmoid: "sigmoid", relu: "ReLU",
  tanh: "tanh", exp: "exponential", log: "logarithm", max: "maximum", sum: "sum", mean: "mean",
  bce: "binary cross-entropy loss", mse: "mean squared error loss", input: "input", const: "constant",
};

let uid = 0;

/** A number as the student reads it: 4 significant digits, a true minus sign, "—" when missing. */
function formatNumber(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value !== "number") return String(value);
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "−∞";
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  const text =
    magnitude >= 1e5 || magnitude < 1e-3
      ? value.toExponential(2).replace(/\.?0+e/, "e").replace("e+", "e")
      : String(Number(value.toPrecision(4)));
  return text.replace("-", "−");
}

/** A shape as rows×columns ("3", "2×3"); scalars have none. */
function formatShape(shape) {
  return shape && shape.length ? shape.join("×") : "";
}

/** A shape in words for screen readers. */
function shapeWords(shape) {
  if (!shape || !shape.length) return "number";
  if (shape.length === 1) return `vector of ${shape[0]}`;
  return `${shape.join(" by ")} matrix`;
}

function isTensor(shape) {
  return Array.isArray(shape) && shape.length > 0;
}

function el(name, attributes = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (parent) parent.append(node);
  return node;
}

function edgeKey(from, to, index) {
  return `${from}>${to}#${index}`;
}

/** A node's name as drawn: its own name, or for an unnamed result the expression it computes. */
function nodeTitle(node) {
  if (!node.id.startsWith("_") || !node.tex) return node.label || node.id;
  const text = node.tex
    .replace(/\\left|\\right/g, "")
    .replace(/\\,/g, "·")
    .replace(/[_{}\\]/g, "")
    .replace(/\s+/g, "");
  return text.length <= 14 ? text : node.label || node.id;
}

function nodeSize(node) {
  const title = nodeTitle(node);
  return { w: Math.max(124, Math.min(220, title.length * 10 + 48)), h: NODE_H };
}

/** Make the SVG canvas inside `host`; `handlers` = {onActivate(id), onMove(id)}. */
function createView(host, handlers) {
  uid += 1;
  const svg = el("svg", { class: "graph-svg", role: "group", "aria-roledescription": "computation graph" });
  const defs = el("defs", {}, svg);
  const arrow = `graph-arrow-${uid}`;
  const arrowBack = `graph-arrow-back-${uid}`;
  const forwardMarker = el("marker", { id: arrow, class: "graph-arrow", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto" }, defs);
  el("path", { d: "M0,0 L10,5 L0,10 z" }, forwardMarker);
  const backMarker = el("marker", { id: arrowBack, class: "graph-arrow-back", viewBox: "0 0 10 10", refX: "1", refY: "5", markerWidth: "6", markerHeight: "6", orient: "auto-start-reverse" }, defs);
  el("path", { d: "M0,0 L10,5 L0,10 z" }, backMarker);
  const layers = {
    edges: el("g", { class: "graph-edges" }, svg),
    flows: el("g", { class: "graph-flows" }, svg),
    nodes: el("g", { class: "graph-nodes" }, svg),
    labels: el("g", { class: "graph-edge-labels" }, svg),
  };
  host.append(svg);
  // Say when the canvas pans (the graph is wider than its box), so students know to scroll it.
  if (typeof ResizeObserver === "function") {
    new ResizeObserver(() => host.classList.toggle("is-panning", svg.clientWidth > host.clientWidth + 1)).observe(host);
  }
  const view = { svg, host, layers, arrow, arrowBack, handlers, nodes: new Map(), edges: new Map(), geometry: null, structure: "", order: [] };
  svg.addEventListener("click", (event) => onClick(view, event));
  svg.addEventListener("keydown", (event) => onKeydown(view, event));
  return view;
}

/** Rebuild the elements when the graph's structure (ids, labels, parents) changes; else keep them. */
function buildView(view, graphNodes, output) {
  const structure = JSON.stringify(graphNodes.map((n) => [n.id, n.label, n.op, n.parents, n.shape]));
  if (structure === view.structure) return false;
  view.structure = structure;
  view.output = output;
  view.order = graphNodes.map((n) => n.id);
  view.ops = new Map(graphNodes.map((n) => [n.id, n.op]));
  const geometry = layout(graphNodes, nodeSize, { gapX: 60, gapY: 24 });
  view.geometry = geometry;
  for (const group of Object.values(view.layers)) group.replaceChildren();
  view.nodes.clear();
  view.edges.clear();

  view.svg.setAttribute("viewBox", `0 0 ${geometry.width.toFixed(0)} ${geometry.height.toFixed(0)}`);
  view.svg.style.minWidth = `${Math.round(geometry.width * MIN_SCALE)}px`;
  view.svg.style.maxWidth = `${Math.round(geometry.width * 1.25)}px`;
  view.host.classList.toggle("is-panning", view.svg.clientWidth > view.host.clientWidth + 1);

  for (const edge of geometry.edges) {
    const key = edgeKey(edge.from, edge.to, edge.index);
    const path = el("path", { class: "graph-edge", d: edge.d, "marker-end": `url(#${view.arrow})`, "data-from": edge.from, "data-to": edge.to }, view.layers.edges);
    const flow = el("path", { class: "graph-flow", d: edge.d, "marker-start": `url(#${view.arrowBack})` }, view.layers.flows);
    const middle = edge.points.length % 2 === 0 ? edge.points.length / 2 : (edge.points.length - 1) / 2;
    const [x0, y0] = edge.points[Math.max(0, middle - 1)];
    const [x1, y1] = edge.points[middle];
    const label = el("text", { class: "graph-edge-label", x: ((x0 + x1) / 2).toFixed(1), y: ((y0 + y1) / 2 - 5).toFixed(1), "text-anchor": "middle", "aria-hidden": "true" }, view.layers.labels);
    view.edges.set(key, { ...edge, key, path, flow, label });
  }

  for (const node of graphNodes) {
    const box = geometry.boxes.get(node.id);
    const g = el("g", { class: "graph-node", "data-node": node.id, role: "button", tabindex: "-1", transform: `translate(${(box.x - box.w / 2).toFixed(1)},${(box.y - box.h / 2).toFixed(1)})` }, view.layers.nodes);
    el("rect", { class: "graph-node-ring", x: -5, y: -5, width: box.w + 10, height: box.h + 10, rx: 14 }, g);
    el("rect", { class: "graph-node-box", width: box.w, height: box.h, rx: 10 }, g);
    const title = el("text", { class: "graph-node-title", x: 9, y: 21 }, g);
    title.textContent = nodeTitle(node);
    const op = el("text", { class: "graph-node-op", x: box.w - 8, y: 20, "text-anchor": "end" }, g);
    op.textContent = node.op === "input" || node.op === "const" ? "" : OP_SYMBOLS[node.op] || node.op;
    const value = el("text", { class: "graph-node-value", x: 9, y: 43 }, g);
    const grad = el("text", { class: "graph-node-grad", x: 9, y: 62 }, g);
    const check = el("text", { class: "graph-node-check", x: box.w / 2, y: box.h + 15, "text-anchor": "middle" }, g);
    view.nodes.set(node.id, { g, value, grad, check, box, node });
  }
  return true;
}

function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

/** The exact number behind a rounded label (for tests and tools); absent while not computed. */
function setRaw(element, value) {
  if (value === undefined || value === null) element.removeAttribute("data-raw");
  else element.setAttribute("data-raw", JSON.stringify(value));
}

function setClass(element, name, on) {
  element.classList.toggle(name, Boolean(on));
}

/** The two-part label of a node line: a small caption and the number (or shape, or "—"). */
function setLine(element, caption, text) {
  if (element.dataset.text === `${caption}|${text}`) return;
  element.dataset.text = `${caption}|${text}`;
  const captionSpan = el("tspan", { class: "graph-node-caption" });
  captionSpan.textContent = `${caption} `;
  const number = el("tspan", { class: "graph-node-number" });
  number.textContent = text;
  element.replaceChildren(captionSpan, number);
}

function lineText(shape, value) {
  if (value === undefined) return "—";
  if (value === null) return "n/a";
  return isTensor(shape) ? `[${formatShape(shape)}]` : formatNumber(value);
}

function ariaText(shape, value, name) {
  if (value === undefined) return `${name} not computed yet`;
  if (value === null) return `no ${name}`;
  return isTensor(shape) ? `${name} a ${shapeWords(shape)}` : `${name} ${formatNumber(value)}`;
}

/**
 * Set every attribute from `scene`: {nodes: [{id, label, op, shape, value, grad}] where value/grad
 * are undefined when not computed yet, selected, focused, current, signalEdges: Map key -> number|null,
 * forwardEdges: Set of keys, incomingEdges: Map key -> number|null, checks: Map input -> {numeric, ok}}.
 */
function drawView(view, scene) {
  for (const info of scene.nodes) {
    const item = view.nodes.get(info.id);
    if (!item) continue;
    const { g } = item;
    const isConst = info.op === "const";
    setLine(item.value, "val", lineText(info.shape, info.value));
    if (isConst) setLine(item.grad, "", "constant");
    else setLine(item.grad, "grad", lineText(info.shape, info.grad));
    setRaw(item.value, info.value);
    setRaw(item.grad, info.grad);
    setClass(item.value, "is-pending", info.value === undefined);
    setClass(item.grad, "is-pending", info.grad === undefined && !isConst);
    setClass(g, "is-input", info.op === "input");
    setClass(g, "is-const", isConst);
    setClass(g, "is-output", info.id === view.output);
    setClass(g, "is-selected", info.id === scene.selected);
    setClass(g, "is-current", info.id === scene.current);
    g.setAttribute("tabindex", info.id === scene.focused ? "0" : "-1");
    g.setAttribute("aria-pressed", info.id === scene.selected ? "true" : "false");
    const kind = OP_NAMES[info.op] || info.op;
    const role = info.id === view.output ? "the loss, " : "";
    const words = isConst ? "" : `, ${ariaText(info.shape, info.grad, "gradient")}`;
    g.setAttribute("aria-label", `${nodeTitle(info)}, ${role}${kind}, ${ariaText(info.shape, info.value, "value")}${words}`);
    const check = scene.checks && scene.checks.get(info.id);
    setText(item.check, check ? `numeric ${check.text} ${check.ok ? "✓" : "✗"}` : "");
    setClass(item.check, "is-bad", check && !check.ok);
  }
  for (const edge of view.edges.values()) {
    const signal = scene.signalEdges && scene.signalEdges.get(edge.key);
    const incoming = scene.incomingEdges && scene.incomingEdges.get(edge.key);
    const forward = scene.forwardEdges && scene.forwardEdges.has(edge.key);
    const isSignal = signal !== undefined;
    const isIncoming = !isSignal && incoming !== undefined;
    setClass(edge.path, "is-signal", isSignal);
    setClass(edge.path, "is-incoming", isIncoming);
    setClass(edge.path, "is-forward", forward);
    const flowing = isSignal || isIncoming;
    setClass(edge.flow, "is-active", flowing);
    setClass(edge.flow, "is-incoming", isIncoming);
    if (flowing && !edge.flowing) restartAnimation(edge.flow);
    edge.flowing = flowing;
    const number = isSignal ? signal : isIncoming ? incoming : undefined;
    setText(edge.label, number === undefined || number === null ? "" : typeof number === "number" ? formatNumber(number) : "");
    setClass(edge.label, "is-incoming", isIncoming);
  }
}

/** Restart the CSS flow animation so each new highlight shows the signal leaving again. */
function restartAnimation(element) {
  element.classList.remove("is-running");
  // Reading a layout property commits the removal before the class returns.
  void element.getBoundingClientRect();
  element.classList.add("is-running");
}

function nodeFromEvent(event) {
  const g = event.target.closest && event.target.closest("[data-node]");
  return g ? g.dataset.node : null;
}

function onClick(view, event) {
  const id = nodeFromEvent(event);
  if (!id) return;
  view.handlers.onActivate(id);
}

/** The neighbour to move to for an arrow key: connected nodes first, nearest in that direction. */
function neighbour(view, id, key) {
  const { boxes, children } = view.geometry;
  const here = boxes.get(id);
  const parents = view.nodes.get(id).node.parents;
  const kids = children.get(id) || [];
  const nearest = (ids, score) => ids.filter((other) => other !== id && boxes.has(other)).sort((a, b) => score(boxes.get(a)) - score(boxes.get(b)))[0];
  const byY = (box) => Math.abs(box.y - here.y);
  if (key === "ArrowLeft") return nearest(parents, byY);
  if (key === "ArrowRight") return nearest(kids, byY);
  const up = key === "ArrowUp";
  const side = (box) => (up ? box.y < here.y - 1 : box.y > here.y + 1);
  const siblings = new Set(view.geometry.layers[here.layer]);
  for (const p of parents) for (const k of children.get(p) || []) siblings.add(k);
  for (const k of kids) for (const p of view.nodes.get(k).node.parents) siblings.add(p);
  const distance = (box) => Math.abs(box.y - here.y) + 2 * Math.abs(box.x - here.x);
  const close = [...siblings].filter((other) => boxes.has(other) && side(boxes.get(other)));
  if (close.length) return nearest(close, distance);
  return nearest([...boxes.keys()].filter((other) => side(boxes.get(other))), distance);
}

function onKeydown(view, event) {
  const id = nodeFromEvent(event);
  if (!id || event.altKey || event.ctrlKey || event.metaKey) return;
  let target = null;
  if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    view.handlers.onActivate(id);
    return;
  }
  if (event.key.startsWith("Arrow")) target = neighbour(view, id, event.key);
  else if (event.key === "Home") target = view.order.find((n) => view.ops.get(n) === "input") || view.order[0];
  else if (event.key === "End") target = view.output || view.order[view.order.length - 1];
  else return;
  event.preventDefault();
  if (target) view.handlers.onMove(target);
}

/** Move the keyboard focus to a node's element (after drawView gave it tabindex 0). */
function focusNode(view, id) {
  const item = view.nodes.get(id);
  if (item) item.g.focus();
}

export { createView, buildView, drawView, focusNode, edgeKey, nodeTitle, formatNumber, formatShape, shapeWords, isTensor, OP_SYMBOLS, OP_NAMES };
