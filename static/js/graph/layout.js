// A layered layout, left to right (Sugiyama in small): 1. layers by depth, 2. dummy points on long
// edges, 3. barycentre sweeps against crossings, 4. heights pulled towards neighbours, no overlaps.

const DEFAULTS = { gapX: 56, gapY: 26, dummyGap: 14, margin: 16, sweeps: 8 };

/** Depth = the longest path from a source; a source sits just left of its first consumer. */
function assignLayers(nodes) {
  const layer = new Map();
  const children = new Map(nodes.map((n) => [n.id, []]));
  for (const n of nodes) {
    for (const p of n.parents) children.get(p)?.push(n.id);
    // Topological order: every parent already has its layer.
    layer.set(n.id, Math.max(0, ...n.parents.filter((p) => layer.has(p)).map((p) => layer.get(p) + 1)));
  }
  // Else an input used only near the loss (the label y) draws a long edge across the graph.
  for (const n of nodes) {
    const kids = children.get(n.id);
    if (!n.parents.length && kids.length) layer.set(n.id, Math.min(...kids.map((k) => layer.get(k))) - 1);
  }
  return { layer, children };
}

/** Every edge cut into one-layer steps: long edges pass through dummy vertices. */
function properGraph(nodes, layer) {
  const vertices = new Map();
  const add = (id, l, dummy) => vertices.set(id, { id, layer: l, dummy, up: [], down: [] });
  for (const n of nodes) add(n.id, layer.get(n.id), false);
  const edges = [];
  for (const n of nodes) {
    n.parents.forEach((p, index) => {
      const chain = [p];
      for (let l = layer.get(p) + 1; l < layer.get(n.id); l += 1) {
        chain.push(`${p}>${n.id}#${index}@${l}`);
        add(chain[chain.length - 1], l, true);
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

/** Crossings between consecutive layers: pairs of segments whose ends swap order. */
function countCrossings(layers, vertices) {
  let total = 0;
  for (let l = 1; l < layers.length; l += 1) {
    const pos = new Map(layers[l].map((id, i) => [id, i]));
    const segments = layers[l - 1].flatMap((id, i) => vertices.get(id).down.map((d) => [i, pos.get(d)]));
    for (let a = 0; a < segments.length; a += 1) {
      for (let b = a + 1; b < segments.length; b += 1) {
        if ((segments[a][0] - segments[b][0]) * (segments[a][1] - segments[b][1]) < 0) total += 1;
      }
    }
  }
  return total;
}

/** Reorder a layer by the mean position of its neighbours in the adjacent layer (stable on ties). */
function byBarycentre(order, neighbours, vertices, direction) {
  const pos = new Map(neighbours.map((id, i) => [id, i]));
  const key = (id, i) => {
    const near = vertices.get(id)[direction].filter((n) => pos.has(n));
    return near.length ? near.reduce((s, n) => s + pos.get(n), 0) / near.length : i;
  };
  return order.map((id, i) => [id, key(id, i), i]).sort((a, b) => a[1] - b[1] || a[2] - b[2]).map((k) => k[0]);
}

/** Orders with few crossings: alternate down and up sweeps, keep the best seen. */
function orderLayers(vertices, depth, sweeps) {
  const layers = Array.from({ length: depth + 1 }, () => []);
  for (const v of vertices.values()) layers[v.layer].push(v.id); // insertion order is topological
  let best = layers.map((l) => l.slice());
  let fewest = countCrossings(best, vertices);
  for (let s = 0; s < sweeps && fewest > 0; s += 1) {
    if (s % 2 === 0) for (let l = 1; l <= depth; l += 1) layers[l] = byBarycentre(layers[l], layers[l - 1], vertices, "up");
    else for (let l = depth - 1; l >= 0; l -= 1) layers[l] = byBarycentre(layers[l], layers[l + 1], vertices, "down");
    const count = countCrossings(layers, vertices);
    if (count < fewest) [best, fewest] = [layers.map((l) => l.slice()), count];
  }
  return best;
}

/** Place a layer's items near their wished heights, in order, at least gaps[i] apart. */
function pack(wishes, gaps) {
  const n = wishes.length;
  const down = [];
  const up = [];
  for (let i = 0; i < n; i += 1) down[i] = i ? Math.max(wishes[i], down[i - 1] + gaps[i]) : wishes[i];
  for (let i = n - 1; i >= 0; i -= 1) up[i] = i < n - 1 ? Math.min(wishes[i], up[i + 1] - gaps[i + 1]) : wishes[i];
  // Both passes keep the gaps, so their mean does too, without leaning up or down.
  return down.map((d, i) => (d + up[i]) / 2);
}

/** Heights: stacked first, then each vertex pulled towards its neighbours a few times. */
function assignY(layers, vertices, heightOf, o) {
  const y = new Map();
  const half = (id) => (vertices.get(id).dummy ? o.dummyGap / 2 : heightOf(id) / 2 + o.gapY / 2);
  const gapsOf = (order) => order.map((id, i) => (i ? half(order[i - 1]) + half(id) : 0));
  for (const order of layers) {
    let at = 0;
    const gaps = gapsOf(order);
    order.forEach((id, i) => y.set(id, (at += gaps[i])));
    for (const id of order) y.set(id, y.get(id) - at / 2);
  }
  for (let round = 0; round < 6; round += 1) {
    for (const order of round % 2 ? layers.slice().reverse() : layers) {
      const wishes = order.map((id) => {
        const near = [...vertices.get(id).up, ...vertices.get(id).down];
        return near.length ? near.reduce((s, n) => s + y.get(n), 0) / near.length : y.get(id);
      });
      pack(wishes, gapsOf(order)).forEach((v, i) => y.set(order[i], v));
    }
  }
  return y;
}

/** A smooth path through the points, leaving and entering each node horizontally. */
function edgePath(points) {
  const f = (v) => v.toFixed(1);
  return points.reduce((d, [x1, y1], i) => {
    if (!i) return `M${f(x1)},${f(y1)}`;
    const [x0, y0] = points[i - 1];
    const mid = (x0 + x1) / 2;
    return `${d} C${f(mid)},${f(y0)} ${f(mid)},${f(y1)} ${f(x1)},${f(y1)}`;
  }, "");
}

/**
 * Lay out `nodes` ([{id, parents}] in topological order) left to right; sizeOf(node) = {w, h}.
 * Returns {boxes: Map id -> {x, y, w, h, layer}, edges: [{from, to, index, points, d}], layers,
 * children, crossings, width, height} in viewBox units.
 */
function layout(nodes, sizeOf, settings = {}) {
  const o = { ...DEFAULTS, ...settings };
  const size = new Map(nodes.map((n) => [n.id, sizeOf(n)]));
  const { layer, children } = assignLayers(nodes);
  const depth = Math.max(0, ...layer.values());
  const { vertices, edges } = properGraph(nodes, layer);
  const layers = orderLayers(vertices, depth, o.sweeps);
  const y = assignY(layers, vertices, (id) => size.get(id).h, o);
  const real = (order) => order.filter((id) => size.has(id));
  const columnX = [];
  let x = o.margin;
  for (const order of layers) {
    const w = Math.max(0, ...real(order).map((id) => size.get(id).w));
    columnX.push(x + w / 2);
    x += w + o.gapX;
  }
  const extent = (sign) => [...y].map(([id, v]) => v + (sign * (size.get(id)?.h || 0)) / 2);
  const top = Math.min(...extent(-1));
  const shift = o.margin - top;
  const boxes = new Map(nodes.map((n) => [n.id, { ...size.get(n.id), layer: layer.get(n.id), x: columnX[layer.get(n.id)], y: y.get(n.id) + shift }]));
  const edgeList = edges.map((e) => {
    const [from, to] = [boxes.get(e.from), boxes.get(e.to)];
    const middle = e.chain.slice(1, -1).map((id) => [columnX[vertices.get(id).layer], y.get(id) + shift]);
    const points = [[from.x + from.w / 2, from.y], ...middle, [to.x - to.w / 2, to.y]];
    return { from: e.from, to: e.to, index: e.index, points, d: edgePath(points) };
  });
  return {
    boxes,
    edges: edgeList,
    layers: layers.map(real),
    children,
    crossings: countCrossings(layers, vertices),
    width: x - o.gapX + o.margin,
    height: Math.max(...extent(1)) - top + 2 * o.margin,
  };
}

export { layout, edgePath, countCrossings };
