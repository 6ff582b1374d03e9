// The graph in SVG: buildView makes the elements once per structure, drawView only sets text,
// attributes and classes. Arrow-key moves live here, next to the geometry.
import { svgElement as el } from "../dom.js";
import { layout } from "./layout.js";

const SYMBOLS = {
  add: "+",
  sub: "−",
  mul: "×",
  div: "÷",
  pow: "^",
  neg: "−",
  identity: "=",
  matmul: "@",
  sigmoid: "σ",
  sum: "Σ",
};
const NAMES = {
  add: "addition",
  sub: "subtraction",
  mul: "multiplication",
  div: "division",
  matmul: "matrix product",
  const: "constant",
};
let uid = 0;

/** A number as read: 4 significant digits, a true minus sign, "—" when missing. */
function formatNumber(v) {
  if (typeof v !== "number" || !Number.isFinite(v))
    return v === null || v === undefined ? "—" : String(v).replace("-", "−");
  const a = Math.abs(v);
  return (
    v && (a >= 1e5 || a < 1e-3)
      ? v.toExponential(2).replace(/\.?0+e\+?/, "e")
      : String(Number(v.toPrecision(4)))
  ).replace("-", "−");
}

const isTensor = (shape) => Array.isArray(shape) && shape.length > 0;
const formatShape = (shape) => (isTensor(shape) ? shape.join("×") : "");
const opSymbol = (op) => SYMBOLS[op] || op;
const opName = (op) => NAMES[op] || op;
const edgeKey = (from, to, slot) => `${from}>${to}#${slot}`;

/** A node's name: its own, or for an unnamed result its expression (w·x). */
function nodeTitle(node) {
  const text =
    node.id[0] === "_" && node.tex
      ? node.tex
          .replace(/\\left|\\right/g, "")
          .replace(/\\,/g, "·")
          .replace(/[_{}\\\s]/g, "")
      : "";
  return text && text.length < 15 ? text : node.label || node.id;
}

const toggle = (node, name, on) => node.classList.toggle(name, Boolean(on));

/** The SVG canvas in `host`; handlers = {onActivate(id), onMove(id)}. */
function createView(host, handlers) {
  const svg = el("svg", { class: "graph-svg", role: "group" }, host);
  const defs = el("defs", {}, svg);
  uid += 1;
  const arrows = ["graph-arrow", "graph-arrow-back"].map((cls, back) => {
    const marker = el(
      "marker",
      {
        id: `${cls}-${uid}`,
        class: cls,
        viewBox: "0 0 10 10",
        refX: back ? 1 : 9,
        refY: 5,
        markerWidth: 7,
        markerHeight: 7,
        orient: back ? "auto-start-reverse" : "auto",
      },
      defs,
    );
    el("path", { d: "M0,0L10,5L0,10z" }, marker);
    return `url(#${cls}-${uid})`;
  });
  const groups = ["edges", "flows", "nodes", "labels"].map((name) =>
    el("g", { class: `graph-${name}` }, svg),
  );
  const view = { svg, host, arrows, groups, handlers, nodes: new Map(), edges: new Map() };
  const target = (event) => event.target.closest?.("[data-node]")?.dataset.node;
  svg.addEventListener("click", (event) => target(event) && handlers.onActivate(target(event)));
  svg.addEventListener("keydown", (event) => onKeydown(view, event, target(event)));
  return view;
}

/** Rebuild the elements when the graph's structure changes. */
function buildView(view, nodes, output) {
  const structure = JSON.stringify(nodes.map((n) => [n.id, n.label, n.op, n.parents, n.shape]));
  if (structure === view.structure) return;
  Object.assign(view, { structure, output, order: nodes });
  const g = layout(
    nodes,
    (n) => ({ w: Math.max(118, Math.min(220, nodeTitle(n).length * 10 + 48)), h: 70 }),
    { gapX: 50, gapY: 24 },
  );
  view.geometry = g;
  const [edgeGroup, flowGroup, nodeGroup, labelGroup] = view.groups;
  for (const group of view.groups) group.replaceChildren();
  view.nodes.clear();
  view.edges.clear();
  view.svg.setAttribute("viewBox", `0 0 ${Math.round(g.width)} ${Math.round(g.height)}`);
  // Below 70% the labels are too small to read: the canvas pans instead.
  Object.assign(view.svg.style, {
    minWidth: `${Math.round(g.width * 0.7)}px`,
    maxWidth: `${Math.round(g.width * 1.25)}px`,
  });
  for (const e of g.edges) {
    const key = edgeKey(e.from, e.to, e.index);
    const path = el(
      "path",
      {
        class: "graph-edge",
        d: e.d,
        "marker-end": view.arrows[0],
        "data-from": e.from,
        "data-to": e.to,
      },
      edgeGroup,
    );
    const flow = el(
      "path",
      { class: "graph-flow", d: e.d, "marker-start": view.arrows[1] },
      flowGroup,
    );
    const [a, b] = [e.points[(e.points.length - 1) >> 1], e.points[e.points.length >> 1]];
    const label = el(
      "text",
      {
        class: "graph-edge-label",
        x: (a[0] + b[0]) / 2,
        y: (a[1] + b[1]) / 2 - 5,
        "text-anchor": "middle",
        "aria-hidden": "true",
      },
      labelGroup,
    );
    view.edges.set(key, { key, path, flow, label });
  }
  for (const n of nodes) {
    const { x, y, w, h } = g.boxes.get(n.id);
    const node = el(
      "g",
      {
        class: "graph-node",
        "data-node": n.id,
        role: "button",
        tabindex: -1,
        transform: `translate(${x - w / 2},${y - h / 2})`,
      },
      nodeGroup,
    );
    el(
      "rect",
      { class: "graph-node-ring", x: -5, y: -5, width: w + 10, height: h + 10, rx: 14 },
      node,
    );
    el("rect", { class: "graph-node-box", width: w, height: h, rx: 10 }, node);
    el("text", { class: "graph-node-title", x: 9, y: 21 }, node).textContent = nodeTitle(n);
    if (!["input", "const"].includes(n.op))
      el(
        "text",
        { class: "graph-node-op", x: w - 8, y: 20, "text-anchor": "end" },
        node,
      ).textContent = opSymbol(n.op);
    const [value, grad] = [43, 62].map((at, i) =>
      el("text", { class: `graph-node-${i ? "grad" : "value"}`, x: 9, y: at }, node),
    );
    const check = el(
      "text",
      { class: "graph-node-check", x: w / 2, y: h + 15, "text-anchor": "middle" },
      node,
    );
    view.nodes.set(n.id, { node, value, grad, check, data: n });
  }
}

/** One line of a node: caption and number (an array's shape; "—" if not computed). */
function drawLine(text, caption, value, shape) {
  const shown =
    value === undefined
      ? "—"
      : value === null
        ? ""
        : isTensor(shape)
          ? `[${formatShape(shape)}]`
          : formatNumber(value);
  if (text.dataset.text !== caption + shown) {
    text.dataset.text = caption + shown;
    text.innerHTML = `<tspan class="graph-node-caption">${caption} </tspan>${shown}`;
  }
  // The exact number behind the rounded label, for tests and tools.
  if (value === undefined || value === null) text.removeAttribute("data-raw");
  else text.setAttribute("data-raw", JSON.stringify(value));
  toggle(text, "is-pending", value === undefined);
}

const words = (name, v, shape) =>
  v === undefined
    ? `${name} not computed yet`
    : isTensor(shape)
      ? `${name} a ${shape.join(" by ")} array`
      : `${name} ${formatNumber(v)}`;

/** Set everything from `scene` (see widget.js): values undefined are not computed yet. */
function drawView(view, scene) {
  for (const n of scene.nodes) {
    const { node, value, grad, check, data } = view.nodes.get(n.id);
    const isConst = n.op === "const";
    drawLine(value, "val", n.value, n.shape);
    drawLine(grad, isConst ? "constant" : "grad", isConst ? null : n.grad, n.shape);
    toggle(node, "is-input", n.op === "input");
    toggle(node, "is-const", isConst);
    toggle(node, "is-output", n.id === view.output);
    toggle(node, "is-selected", n.id === scene.selected);
    toggle(node, "is-current", n.id === scene.current);
    node.setAttribute("tabindex", n.id === scene.focused ? 0 : -1);
    node.setAttribute("aria-pressed", n.id === scene.selected);
    const loss = n.id === view.output ? "the loss, " : "";
    node.setAttribute(
      "aria-label",
      `${nodeTitle(data)}, ${loss}${opName(n.op)}, ${words("value", n.value, n.shape)}${isConst ? "" : `, ${words("gradient", n.grad, n.shape)}`}`,
    );
    const c = scene.checks ? scene.checks.get(n.id) : null;
    check.textContent = c ? `numeric: ${c.text} ${c.ok ? "✓" : "✗"}` : "";
    toggle(check, "is-bad", c && !c.ok);
  }
  for (const e of view.edges.values()) {
    const strong = scene.signals.has(e.key);
    const light = !strong && scene.incoming.has(e.key);
    const number = (strong ? scene.signals : scene.incoming).get(e.key);
    toggle(e.path, "is-signal", strong);
    toggle(e.path, "is-incoming", light);
    toggle(e.path, "is-forward", scene.forward.has(e.key));
    // A new highlight restarts the flow animation (no forced layout: the class comes back later).
    toggle(e.flow, "is-active", strong || light);
    toggle(e.flow, "is-incoming", light);
    e.label.textContent = typeof number === "number" ? formatNumber(number) : "";
  }
}

/** The node an arrow key moves to: ←/→ a parent/child, ↑/↓ the nearest in the layer, else anywhere. */
function neighbour(view, id, key) {
  const { boxes, children, layers } = view.geometry;
  const here = boxes.get(id);
  const parents = view.nodes.get(id).data.parents;
  const kids = children.get(id);
  const nearest = (ids, score) =>
    ids.filter((o) => o !== id).sort((a, b) => score(boxes.get(a)) - score(boxes.get(b)))[0];
  const dy = (b) => Math.abs(b.y - here.y);
  if (key === "ArrowLeft" || key === "ArrowRight")
    return nearest(key === "ArrowLeft" ? parents : kids, dy);
  const side = (o) => (key === "ArrowUp" ? -1 : 1) * (boxes.get(o).y - here.y) > 1;
  const close = layers[here.layer].filter(side);
  return nearest(
    close.length ? close : [...boxes.keys()].filter(side),
    (b) => dy(b) + 2 * Math.abs(b.x - here.x),
  );
}

function onKeydown(view, event, id) {
  const { key } = event;
  if (
    !id ||
    event.altKey ||
    event.ctrlKey ||
    event.metaKey ||
    !/^(Arrow|Home$|End$|Enter$| $)/.test(key)
  )
    return;
  event.preventDefault();
  if (key === "Enter" || key === " ") return view.handlers.onActivate(id);
  const move =
    key === "Home"
      ? view.order.find((n) => n.op === "input")?.id
      : key === "End"
        ? view.output
        : neighbour(view, id, key);
  if (move) view.handlers.onMove(move);
}

/** Move the keyboard focus to a node (after drawView gave it the Tab stop). */
const focusNode = (view, id) => view.nodes.get(id)?.node.focus();

export {
  buildView,
  createView,
  drawView,
  edgeKey,
  focusNode,
  formatNumber,
  formatShape,
  isTensor,
  nodeTitle,
  opName,
  opSymbol,
};
