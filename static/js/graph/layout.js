// Layered layout, left to right or top to bottom (Sugiyama in small): layers by depth, dummy points on long edges,
// barycentre sweeps against crossings, heights pulled towards neighbours.

/** Depth: the longest path from a source; a source sits just left of its first consumer. */
function assignLayers(nodes) {
  const layer = new Map();
  const children = new Map(nodes.map((n) => [n.id, []]));
  for (const n of nodes) {
    for (const p of n.parents) children.get(p).push(n.id);
    layer.set(n.id, Math.max(0, ...n.parents.map((p) => layer.get(p) + 1)));
  }
  // Else an input used only by the loss (the label y) has a long edge across the graph.
  for (const n of nodes)
    if (!n.parents.length && children.get(n.id).length)
      layer.set(n.id, Math.min(...children.get(n.id).map((k) => layer.get(k))) - 1);
  return { layer, children };
}

/**
 * Keep each layer within `limit` units across: an input of a crowded layer moves one layer
 * earlier (a new first layer if need be), so four inputs stack two by two on a phone.
 */
function spreadLayers(nodes, layer, across, limit, gap) {
  if (!Number.isFinite(limit)) return;
  for (let guard = 0; guard < nodes.length * nodes.length; guard += 1) {
    const rows = new Map();
    for (const n of nodes) rows.set(layer.get(n.id), [...(rows.get(layer.get(n.id)) || []), n]);
    const crowded = [...rows].find(
      ([, row]) =>
        row.length > 1 &&
        row.some((n) => !n.parents.length) &&
        row.reduce((sum, n) => sum + across(n.id) + gap, -gap) > limit,
    );
    if (!crowded) return;
    const [at, row] = crowded;
    const source = row.filter((n) => !n.parents.length).at(-1);
    if (at === 0) for (const id of layer.keys()) layer.set(id, layer.get(id) + 1);
    layer.set(source.id, layer.get(source.id) - 1);
  }
}

/** Every edge cut into one-layer steps: long edges pass through dummy vertices. */
function properGraph(nodes, layer) {
  const vertices = new Map();
  const add = (id, l, dummy) => vertices.set(id, { id, layer: l, dummy, up: [], down: [] }) && id;
  for (const n of nodes) add(n.id, layer.get(n.id), false);
  const edges = nodes.flatMap((n) =>
    n.parents.map((p, index) => {
      const chain = [p];
      for (let l = layer.get(p) + 1; l < layer.get(n.id); l += 1)
        chain.push(add(`${p}>${n.id}#${index}@${l}`, l, true));
      chain.push(n.id);
      for (let i = 1; i < chain.length; i += 1) {
        vertices.get(chain[i - 1]).down.push(chain[i]);
        vertices.get(chain[i]).up.push(chain[i - 1]);
      }
      return { from: p, to: n.id, index, chain };
    }),
  );
  return { vertices, edges };
}

/** Crossings between consecutive layers: pairs of segments whose ends swap order. */
function countCrossings(layers, vertices) {
  let total = 0;
  for (let l = 1; l < layers.length; l += 1) {
    const segments = layers[l - 1].flatMap((id, i) =>
      vertices.get(id).down.map((d) => [i, layers[l].indexOf(d)]),
    );
    for (const [a, [a0, a1]] of segments.entries())
      for (const [b0, b1] of segments.slice(a + 1)) if ((a0 - b0) * (a1 - b1) < 0) total += 1;
  }
  return total;
}

/** A layer reordered by the mean position of its neighbours in the next layer (stable on ties). */
function byBarycentre(order, next, vertices, direction) {
  const key = (id, i) => {
    const near = vertices
      .get(id)
      [direction].map((n) => next.indexOf(n))
      .filter((p) => p >= 0);
    return near.length ? near.reduce((s, p) => s + p, 0) / near.length : i;
  };
  return order
    .map((id, i) => [id, key(id, i), i])
    .sort((a, b) => a[1] - b[1] || a[2] - b[2])
    .map((k) => k[0]);
}

/** Orders with few crossings: alternate down and up sweeps, keep the best seen. */
function orderLayers(vertices, depth) {
  const layers = Array.from({ length: depth + 1 }, () => []);
  for (const v of vertices.values()) layers[v.layer].push(v.id); // topological order to start
  let best = layers.map((l) => l.slice());
  let fewest = countCrossings(best, vertices);
  for (let s = 0; s < 8 && fewest > 0; s += 1) {
    if (s % 2)
      for (let l = depth - 1; l >= 0; l -= 1)
        layers[l] = byBarycentre(layers[l], layers[l + 1], vertices, "down");
    else
      for (let l = 1; l <= depth; l += 1)
        layers[l] = byBarycentre(layers[l], layers[l - 1], vertices, "up");
    const count = countCrossings(layers, vertices);
    if (count < fewest) [best, fewest] = [layers.map((l) => l.slice()), count];
  }
  return best;
}

/** Heights near the wishes, in order, gaps apart: the mean of a down and an up pass. */
function pack(wishes, gaps) {
  const n = wishes.length;
  const [down, up] = [[], []];
  for (let i = 0; i < n; i += 1)
    down[i] = i ? Math.max(wishes[i], down[i - 1] + gaps[i]) : wishes[i];
  for (let i = n - 1; i >= 0; i -= 1)
    up[i] = i < n - 1 ? Math.min(wishes[i], up[i + 1] - gaps[i + 1]) : wishes[i];
  return down.map((d, i) => (d + up[i]) / 2); // both keep the gaps, so their mean does too
}

/**
 * Lay out nodes ([{id, parents}], topological order) left to right, or top to bottom when
 * `down`: {boxes, edges (each a path `d` and a `label` point), layers, children, width, height}.
 * Top to bottom is the same layout with the axes swapped, for narrow screens; `across` caps a
 * layer's extent where it can.
 */
function layout(
  nodes,
  sizeOf,
  { gapX = 56, gapY = 26, margin = 16, down = false, across = Number.POSITIVE_INFINITY } = {},
) {
  const size = new Map(
    nodes.map((n) => {
      const s = sizeOf(n);
      return [n.id, down ? { w: s.h, h: s.w } : s];
    }),
  );
  const { layer, children } = assignLayers(nodes);
  spreadLayers(nodes, layer, (id) => size.get(id).h, across - 2 * margin, gapY);
  const { vertices, edges } = properGraph(nodes, layer);
  const layers = orderLayers(vertices, Math.max(0, ...layer.values()));
  // Heights: stacked, then pulled towards the mean of the neighbours.
  const y = new Map();
  // A long edge's bend takes a little room left to right; top to bottom, on a phone, none.
  const half = (id) => (size.has(id) ? (size.get(id).h + gapY) / 2 : down ? 0 : 7);
  const gapsOf = (order) => order.map((id, i) => (i ? half(order[i - 1]) + half(id) : 0));
  const hOf = (id) => size.get(id)?.h || 0;
  // A layer's extent across: from its first box's edge to its last's (a bend has no box).
  const span = (order) =>
    gapsOf(order).reduce((a, b) => a + b, 0) + (hOf(order[0]) + hOf(order.at(-1))) / 2;
  for (const order of layers) {
    let at = hOf(order[0]) / 2 - span(order) / 2; // each layer centred on the axis
    for (const [i, gap] of gapsOf(order).entries()) {
      at += gap;
      y.set(order[i], at);
    }
  }
  // The pulls may not widen the drawing past its widest layer: each layer is kept within it.
  const bound = Math.max(...layers.map(span)) / 2;
  const clamp = (order) => {
    const top = y.get(order[0]) - hOf(order[0]) / 2 + bound;
    const bottom = y.get(order.at(-1)) + hOf(order.at(-1)) / 2 - bound;
    const shift = top < 0 ? -top : bottom > 0 ? -bottom : 0;
    for (const id of order) y.set(id, y.get(id) + shift);
  };
  for (let round = 0; round < 6; round += 1) {
    for (const order of round % 2 ? layers.slice().reverse() : layers) {
      const wishes = order.map((id) => {
        const near = [...vertices.get(id).up, ...vertices.get(id).down];
        return near.length ? near.reduce((s, n) => s + y.get(n), 0) / near.length : y.get(id);
      });
      for (const [i, v] of pack(wishes, gapsOf(order)).entries()) y.set(order[i], v);
      clamp(order);
    }
  }
  const columnX = [];
  let x = margin;
  for (const order of layers) {
    const w = Math.max(0, ...order.filter((id) => size.has(id)).map((id) => size.get(id).w));
    columnX.push(x + w / 2);
    x += w + gapX;
  }
  const extent = (sign) => [...y].map(([id, v]) => v + (sign * (size.get(id)?.h || 0)) / 2);
  const shift = margin - Math.min(...extent(-1));
  const swap = ([a, b]) => (down ? [b, a] : [a, b]);
  const boxes = new Map(
    nodes.map((n) => {
      const s = size.get(n.id);
      const [bx, by] = swap([columnX[layer.get(n.id)], y.get(n.id) + shift]);
      const [w, h] = swap([s.w, s.h]);
      return [n.id, { w, h, layer: layer.get(n.id), x: bx, y: by }];
    }),
  );
  const f = (v) => v.toFixed(1);
  // A cubic from each point to the next, leaving and arriving along the layout's direction.
  const controls = (a, b) => {
    const mid = down ? (a[1] + b[1]) / 2 : (a[0] + b[0]) / 2;
    return down
      ? [
          [a[0], mid],
          [b[0], mid],
        ]
      : [
          [mid, a[1]],
          [mid, b[1]],
        ];
  };
  const curve = (a, b) => {
    const [c1, c2] = controls(a, b);
    return `C${f(c1[0])},${f(c1[1])} ${f(c2[0])},${f(c2[1])} ${f(b[0])},${f(b[1])}`;
  };
  // The point a third of the way along an edge's first curve, where its number is written.
  const labelAt = ([p0, p1]) => {
    const [c1, c2] = controls(p0, p1);
    const t = 0.35;
    const w = [(1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t ** 2, t ** 3];
    return [0, 1].map((k) => w[0] * p0[k] + w[1] * c1[k] + w[2] * c2[k] + w[3] * p1[k]);
  };
  const [width, height] = swap([x - gapX + margin, Math.max(...extent(1)) + shift + margin]);
  return {
    boxes,
    edges: edges.map((e) => {
      const [from, to] = [boxes.get(e.from), boxes.get(e.to)];
      const middle = e.chain
        .slice(1, -1)
        .map((id) => swap([columnX[vertices.get(id).layer], y.get(id) + shift]));
      const points = down
        ? [[from.x, from.y + from.h / 2], ...middle, [to.x, to.y - to.h / 2]]
        : [[from.x + from.w / 2, from.y], ...middle, [to.x - to.w / 2, to.y]];
      const d = points.map((p, i) => (i ? curve(points[i - 1], p) : `M${f(p[0])},${f(p[1])}`));
      return { ...e, points, d: d.join(" "), label: labelAt(points) };
    }),
    layers: layers.map((order) => order.filter((id) => size.has(id))),
    children,
    width,
    height,
    down,
  };
}

export { layout };
