// The graph in SVG: buildView makes the elements once per structure and width, drawView only
// sets text, attributes and classes. The graph always fits its column: left to right when that
// keeps the text at least 12 px on screen, else top to bottom. Arrow-key moves live here too.
import { svgElement as el } from "../dom.js";
import { formatNumber, formatShape, isTensor, nodeTitle } from "./format.js";
import { layout } from "./layout.js";
import { edgeKey } from "./model.js";

let uid = 0;
// The smallest text in a node, in viewBox units (graph.css): the scale may not take it below
// 12 px on screen.
const SMALLEST_TEXT = 14;
const MIN_SCALE = 12 / SMALLEST_TEXT;

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
  // A new column width may call for the other direction: the widget draws again.
  new ResizeObserver(() => {
    if (view.structure && Math.floor(host.clientWidth) !== view.width) handlers.onResize();
  }).observe(host);
  return view;
}

// Room for the title and, apart from inputs, the op's name beside it.
const sizeOf = (n) => {
  const op = ["input", "const"].includes(n.op) ? 0 : n.op.length + 1;
  return { w: Math.max(124, Math.min(260, (nodeTitle(n).length + op) * 10 + 30)), h: 76 };
};

/**
 * The layout that fits `width` px with the largest text: left to right if its text stays at
 * least 12 px on screen, else whichever direction scales less.
 */
function fitLayout(nodes, width) {
  const right = layout(nodes, sizeOf, { gapX: 50, gapY: 30 });
  const scaleOf = (g) => Math.min(1, width / g.width);
  if (!width || scaleOf(right) >= MIN_SCALE) return right;
  // Top to bottom, with fewer nodes a row until the widest row fits.
  const room = width / MIN_SCALE;
  let best = right;
  for (let across = room; across > 120; across -= 30) {
    const down = layout(nodes, sizeOf, { gapX: 44, gapY: 14, margin: 8, down: true, across });
    if (down.width <= room) return down;
    if (scaleOf(down) > scaleOf(best)) best = down;
  }
  return best;
}

/** Rebuild the elements when the graph's structure or the column's width changes. */
function buildView(view, nodes, output) {
  const width = Math.floor(view.host.clientWidth);
  const structure = JSON.stringify(nodes.map((n) => [n.id, n.label, n.op, n.parents, n.shape]));
  if (structure === view.structure && width === view.width) return;
  const g = fitLayout(nodes, width);
  if (structure === view.structure && g.down === view.geometry.down && !g.down) {
    view.width = width; // the same layout scales to the new width by itself
    return;
  }
  Object.assign(view, { structure, output, order: nodes, width, geometry: g });
  const [edgeGroup, flowGroup, nodeGroup, labelGroup] = view.groups;
  for (const group of view.groups) group.replaceChildren();
  view.nodes.clear();
  view.edges.clear();
  view.svg.setAttribute("viewBox", `0 0 ${Math.round(g.width)} ${Math.round(g.height)}`);
  view.svg.classList.toggle("is-down", g.down);
  // Never below 12 px text (the canvas would pan; no preset needs it), never blown up past 125%.
  Object.assign(view.svg.style, {
    minWidth: `${Math.round(g.width * MIN_SCALE)}px`,
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
    // The number sits beside its edge, a third of the way from the input (edges into one node
    // meet at its end, and their labels would meet there too), on the side the edge turns
    // away from.
    const [mx, my] = e.label;
    const [p0, p1] = e.points;
    const away = g.down ? (p1[0] > p0[0] ? -1 : 1) : p1[1] < p0[1] ? 1 : -1;
    const label = el(
      "text",
      {
        class: "graph-edge-label",
        x: g.down ? mx + 7 * away : mx,
        y: g.down ? my + 5 : my + (away > 0 ? 17 : -7),
        "text-anchor": g.down ? (away > 0 ? "start" : "end") : "middle",
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
    el("text", { class: "graph-node-title", x: 10, y: 23 }, node).textContent = nodeTitle(n);
    if (!["input", "const"].includes(n.op))
      el(
        "text",
        { class: "graph-node-op", x: w - 9, y: 22, "text-anchor": "end" },
        node,
      ).textContent = n.op;
    const [value, grad] = [46, 67].map((at, i) =>
      el("text", { class: `graph-node-${i ? "grad" : "value"}`, x: 9, y: at }, node),
    );
    const check = el(
      "text",
      { class: "graph-node-check", x: w / 2, y: h + 17, "text-anchor": "middle" },
      node,
    );
    view.nodes.set(n.id, { node, value, grad, check, data: n });
  }
}

/** True for a shape of one element ([1], [1, 1]): its number fits where a shape would go. */
const oneElement = (shape) => shape.every((d) => d === 1);

/** One line of a node: caption and number (an array's shape, or a one-element array's number
 * in brackets: [1.01], not [1], which read like the value 1; "—" if not computed). */
function drawLine(text, caption, value, shape) {
  const hidden = value === "?"; // Your turn: the student has not found it yet
  const shown = hidden
    ? "?"
    : value === undefined
      ? "—"
      : value === null
        ? ""
        : isTensor(shape)
          ? `[${oneElement(shape) ? formatNumber([value].flat(Infinity)[0]) : formatShape(shape)}]`
          : formatNumber(value);
  if (text.dataset.text !== caption + shown) {
    text.dataset.text = caption + shown;
    text.innerHTML = `<tspan class="graph-node-caption">${caption} </tspan>${shown}`;
  }
  // The exact number behind the rounded label, for tests and tools.
  if (value === undefined || value === null || hidden) text.removeAttribute("data-raw");
  else text.setAttribute("data-raw", JSON.stringify(value));
  toggle(text, "is-pending", value === undefined);
  toggle(text, "is-hidden", hidden);
}

const words = (name, v, shape) =>
  v === undefined
    ? `${name} not computed yet`
    : v === "?"
      ? `${name} yours to find`
      : isTensor(shape)
        ? `${name} a ${shape.join(" by ")} array${fewNumbers(v)}`
        : `${name} ${formatNumber(v)}`;

// A small array is read out in full (a 1-element vector is a number to the student).
const fewNumbers = (v) => {
  const flat = Array.isArray(v) ? v.flat(Number.POSITIVE_INFINITY) : [];
  return flat.length && flat.length <= 4 ? ` (${flat.map(formatNumber).join(", ")})` : "";
};

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
      `${nodeTitle(data)}, ${loss}${n.op}, ${words("value", n.value, n.shape)}${isConst ? "" : `, ${words("gradient", n.grad, n.shape)}`}`,
    );
    const c = scene.checks ? scene.checks.get(n.id) : null;
    check.textContent = c ? c.text : "";
    toggle(check, "is-bad", c?.bad);
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

// Keys along the graph's direction (to a parent, to a child) and across it, per layout.
const KEYS = {
  right: { ArrowLeft: "parent", ArrowRight: "child", ArrowUp: "before", ArrowDown: "after" },
  down: { ArrowUp: "parent", ArrowDown: "child", ArrowLeft: "before", ArrowRight: "after" },
};

/** The node an arrow key moves to: a parent or child, or the nearest across the layer, else anywhere. */
function neighbour(view, id, key) {
  const { boxes, children, layers, down } = view.geometry;
  const move = KEYS[down ? "down" : "right"][key];
  // Coordinates across the layers (along) and within a layer (across).
  const along = (b) => (down ? b.y : b.x);
  const across = (b) => (down ? b.x : b.y);
  const here = boxes.get(id);
  const nearest = (ids, score) =>
    ids.filter((o) => o !== id).sort((a, b) => score(boxes.get(a)) - score(boxes.get(b)))[0];
  const gap = (b) => Math.abs(across(b) - across(here));
  if (move === "parent") return nearest(view.nodes.get(id).data.parents, gap);
  if (move === "child") return nearest(children.get(id), gap);
  const side = (o) => (move === "before" ? -1 : 1) * (across(boxes.get(o)) - across(here)) > 1;
  const close = layers[here.layer].filter(side);
  return nearest(
    close.length ? close : [...boxes.keys()].filter(side),
    (b) => gap(b) + 2 * Math.abs(along(b) - along(here)),
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

export { buildView, createView, drawView, focusNode };
