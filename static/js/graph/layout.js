// Layered layout of a computation graph, left to right (a small Sugiyama layout):
// 1. layers by depth, 2. dummy points on long edges, 3. barycentre sweeps against crossings,
// 4. coordinates that pull each node towards its neighbours without overlaps.

const DEFAULTS = { gapX: 56, gapY: 26, dummyGap: 14, margin: 16, sweeps: 8 };

/** Depth of each node: its longest path from a source; sources sit just left of their first consumer. */
function assignLayers(nodes) {
  const layer = new Map();
  const children = new Map(nodes.map((n) => [n.id, []]));
  for (const n of nodes) for (const p of n.parents) children.get(p)?.push(n.id);
  for (const n of nodes) {
    // Nodes come in topological order, so every parent already has its layer.
    const depths = n.parents.filter((p) => layer.has(p)).map((p) => layer.get(p) + 1);
    layer.set(n.id, depths.length ? Math.max(...depths) : 0);
  }
  // An input used only near the loss (the label y) would otherwise draw a long edge across the graph.
  for (const n of nodes) {
    if (n.parents.length) continue;
    const kids = children.get(n.id);
    if (kids.length) layer.set(n.id, Math.min(...kids.map((k) => layer.get(k))) - 1);
  }
  return { layer, children };
}

/** The graph with every edge cut into one-layer steps: long edges pass through dummy points. */
function properGraph(nodes, layer) {
  const vertices = new Map(); // id -> {id, layer, dummy, up: [], down: []}
  for (const n of nodes) vertices.set(n.id, { id: n.id, layer: layer.get(n.id), dummy: false, up: [], down: [] });
  const edges = [];
  for (const n of nodes) {
    n.parents.forEach((p, index) => {
      if (!vertices.has(p)) return;
      const chain = [p];
      for (let l = layer.get(p) + 1; l < layer.get(n.id); l += 1) {
        const id = `${p}->${n.id}#${index}@${l}`;
        vertices.set(id, { id, layer: l, dummy: true, up: [], down: [] });
        chain.push(id);
      }
      chain.push(n.id);
      for (let i = 1; i < chain.length; i += 1) {
        vertices.get(chain[i - 1]).down.push(chain[i]);
        vertices.get(chain[i]).up.push(chain[i - 1]);
      }
      edges.push({ from: p, to: n.id, index, chain });
    });
  }
  return { vertices, edges };
}

function crossingsBetween(upper, lower, vertices) {
  const pos = new Map(lower.map((id, i) => [id, i]));
  const segments = [];
  upper.forEach((id, i) => {
    for (const d of vertices.get(id).down) if (pos.has(d)) segments.push([i, pos.get(d)]);
  });
  let count = 0;
  for (let a = 0; a < segments.length; a += 1) {
    for (let b = a + 1; b < segments.length; b += 1) {
      const [a0, a1] = segments[a];
      const [b0, b1] = segments[b];
      if ((a0 - b0) * (a1 - b1) < 0) count += 1;
    }
  }
  return count;
}

function countCrossings(layers, vertices) {
  let total = 0;
  for (let l = 1; l < layers.length; l += 1) total += crossingsBetween(layers[l - 1], layers[l], vertices);
  return total;
}

/** Reorder one layer by the mean position of its neighbours in the adjacent layer (stable for ties). */
function sortByBarycentre(order, neighbourOrder, vertices, direction) {
  const pos = new Map(neighbourOrder.map((id, i) => [id, i]));
  const keyed = order.map((id, i) => {
    const near = vertices.get(id)[direction].filter((n) => pos.has(n));
    const key = near.length ? near.reduce((s, n) => s + pos.get(n), 0) / near.length : i;
    return { id, key, i };
  });
  keyed.sort((a, b) => a.key - b.key || a.i - b.i);
  return keyed.map((k) => k.id);
}

/** Layer orders with few crossings: alternate down and up sweeps, keep the best seen. */
function orderLayers(vertices, depth, sweeps) {
  const layers = Array.from({ length: depth + 1 }, () => []);
  for (const v of vertices.values()) layers[v.layer].push(v.id); // insertion order is topological
  let best = layers.map((l) => l.slice());
  let bestCount = countCrossings(best, vertices);
  for (let s = 0; s < sweeps && bestCount > 0; s += 1) {
    if (s % 2 === 0) {
      for (let l = 1; l <= depth; l += 1) layers[l] = sortByBarycentre(layers[l], layers[l - 1], vertices, "up");
    } else {
      for (let l = depth - 1; l >= 0; l -= 1) layers[l] = sortByBarycentre(layers[l], layers[l + 1], vertices, "down");
    }
    const count = countCrossings(layers, vertices);
    if (count < bestCount) {
      best = layers.map((l) => l.slice());
      bestCount = count;
    }
  }
  return { layers: best, crossings: bestCount };
}

/** Place a layer's items near their wished positions, in order, at least `gap(i)` apart. */
function packLayer(wishes, gaps) {
  const n = wishes.length;
  const forward = new Array(n);
  const backward = new Array(n);
  for (let i = 0; i < n; i += 1) forward[i] = i ? Math.max(wishes[i], forward[i - 1] + gaps[i]) : wishes[i];
  for (let i = n - 1; i >= 0; i -= 1) backward[i] = i < n - 1 ? Math.min(wishes[i], backward[i + 1] - gaps[i + 1]) : wishes[i];
  // Both passes keep the gaps, so their mean does too, and it is not biased up or down.
  return forward.map((f, i) => (f + backward[i]) / 2);
}

/** Vertical centres: start stacked, then pull each vertex towards its neighbours a few times. */
function assignY(layers, vertices, heightOf, options) {
  const y = new Map();
  const half = (id) => (vertices.get(id).dummy ? options.dummyGap / 2 : heightOf(id) / 2 + options.gapY / 2);
  const gapsOf = (order) => order.map((id, i) => (i ? half(order[i - 1]) + half(id) : 0));
  for (const order of layers) {
    const gaps = gapsOf(order);
    let at = 0;
    order.forEach((id, i) => {
      at += gaps[i];
      y.set(id, at);
    });
    const shift = order.length ? y.get(order[order.length - 1]) / 2 : 0;
    for (const id of order) y.set(id, y.get(id) - shift);
  }
  for (let round = 0; round < 6; round += 1) {
    const down = round % 2 === 0;
    const sequence = down ? layers : layers.slice().reverse();
    for (const order of sequence) {
      const wishes = order.map((id) => {
        const v = vertices.get(id);
        const near = [...v.up, ...v.down];
        return near.length ? near.reduce((s, n) => s + y.get(n), 0) / near.length : y.get(id);
      });
      packLayer(wishes, gapsOf(order)).forEach((value, i) => y.set(order[i], value));
    }
  }
  return y;
}

/** Smooth path through the points, with horizontal tangents so edges leave and enter nodes straight. */
function edgePath(points) {
  let d = `M${points[0][0].toFixed(1)},${points[0][1].toFixed(1)}`;
  for (let i = 1; i < points.length; i += 1) {
    const [x0, y0] = points[i - 1];
    const [x1, y1] = points[i];
    const dx = (x1 - x0) / 2;
    d += ` C${(x0 + dx).toFixed(1)},${y0.toFixed(1)} ${(x1 - dx).toFixed(1)},${y1.toFixed(1)} ${x1.toFixed(1)},${y1.toFixed(1)}`;
  }
  return d;
}

/**
 * Lay out `nodes` ([{id, parents}], topological order) from left to right.
 * `sizeOf(node)` gives {w, h} in viewBox units. Returns the boxes, the edge paths and the size.
 */
function layout(nodes, sizeOf, settings = {}) {
  const options = { ...DEFAULTS, ...settings };
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const size = new Map(nodes.map((n) => [n.id, sizeOf(n)]));
  const { layer, children } = assignLayers(nodes);
  const depth = nodes.length ? Math.max(...layer.values()) : 0;
  const { vertices, edges } = properGraph(nodes, layer);
  const { layers, crossings } = orderLayers(vertices, depth, options.sweeps);
  const heightOf = (id) => size.get(id).h;
  const y = assignY(layers, vertices, heightOf, options);

  // Columns: each as wide as its widest node.
  const columnWidth = layers.map((order) => Math.max(0, ...order.filter((id) => byId.has(id)).map((id) => size.get(id).w)));
  const columnX = [];
  let x = options.margin;
  for (const w of columnWidth) {
    columnX.push(x + w / 2);
    x += w + options.gapX;
  }
  const width = x - options.gapX + options.margin;
  const top = Math.min(...[...y.entries()].map(([id, v]) => v - (byId.has(id) ? heightOf(id) / 2 : 0)));
  const bottom = Math.max(...[...y.entries()].map(([id, v]) => v + (byId.has(id) ? heightOf(id) / 2 : 0)));
  const offset = options.margin - top;

  const boxes = new Map();
  for (const n of nodes) {
    const { w, h } = size.get(n.id);
    const l = layer.get(n.id);
    boxes.set(n.id, { id: n.id, layer: l, x: columnX[l], y: y.get(n.id) + offset, w, h });
  }
  const edgeList = edges.map((e) => {
    const from = boxes.get(e.from);
    const to = boxes.get(e.to);
    const points = [[from.x + from.w / 2, from.y]];
    for (const id of e.chain.slice(1, -1)) points.push([columnX[vertices.get(id).layer], y.get(id) + offset]);
    points.push([to.x - to.w / 2, to.y]);
    return { from: e.from, to: e.to, index: e.index, points, d: edgePath(points) };
  });
  return {
    boxes,
    edges: edgeList,
    layers: layers.map((order) => order.filter((id) => byId.has(id))),
    children,
    crossings,
    width,
    height: bottom - top + 2 * options.margin,
  };
}

export { layout, edgePath, countCrossings };
