// Practice, the exercise's graph: drawn by the graph widget's own view (graph/view.js), values
// shown and gradients hidden. Arrow keys move between nodes; it only draws.
import { buildView, createView, drawView, focusNode } from "../graph/view.js";
import { graphScene } from "./model.js";

/** A graph canvas in `host` (emptied first); its draw(graph, find) shows one exercise's graph. */
function createGraph(host) {
  host.replaceChildren();
  const canvas = document.createElement("div");
  canvas.className = "graph-canvas";
  host.append(canvas);
  let shown = null;
  let focused = null;
  const redraw = () => {
    if (!shown) return;
    buildView(view, shown.graph.nodes, shown.graph.output);
    drawView(view, graphScene(shown.graph, shown.find, focused));
  };
  const view = createView(canvas, {
    onActivate: (id) => {
      focused = id;
      redraw();
    },
    onMove: (id) => {
      focused = id;
      redraw();
      focusNode(view, id);
    },
    onResize: redraw,
  });
  view.svg.setAttribute("aria-label", "The exercise's computation graph");
  return {
    /** Show `graph` (/api/graph's answer) with the step `find` marked. */
    draw(graph, find) {
      shown = { graph, find };
      focused = null;
      redraw();
    },
  };
}

export { createGraph };
