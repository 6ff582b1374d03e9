// The path the weight takes on the loss plot when the graph widget runs gradient descent: each
// point is (w, L) after one step, as the engine computed them, after the point the plot marked
// before the first step. Plain data in, plotly traces and words out; no DOM.

// The server palette's orange (lessonengine/plotstyle.py): theme.js swaps it for --plot-orange.
const PATH_COLOUR = "#e69f00";
const MINUS = "\u2212";

/** The point `figure` marks as the current weight: {w, loss} (its one-point marker trace). */
function markedPoint(figure) {
  const marker = (figure?.data || []).find(
    (trace) => trace.mode === "markers" && trace.x?.length === 1 && trace.y?.length === 1,
  );
  return marker ? { w: Number(marker.x[0]), loss: Number(marker.y[0]) } : null;
}

/** The path after one more step: started from `start` (the marked point) when it is empty. */
function extendPath(path, start, step) {
  const base = path.length || !start ? path : [start];
  return [...base, step];
}

/** `figure` with the path drawn over it (a copy; the figure itself is left as it is). */
function withPath(figure, path) {
  if (!path.length) return figure;
  const trace = {
    type: "scatter",
    x: path.map((p) => p.w),
    y: path.map((p) => p.loss),
    text: path.map((_p, i) => (i === 0 ? "start" : `step ${i}`)),
    name: "gradient-descent steps",
    mode: "lines+markers",
    line: { color: PATH_COLOUR, width: 2, dash: "dot" },
    marker: { color: PATH_COLOUR, size: 9, symbol: "diamond" },
    hovertemplate: "%{text}: w = %{x:.3f}<br>L = %{y:.4f}<extra></extra>",
    uid: "descent-path",
  };
  return { ...figure, data: [...(figure.data || []), trace] };
}

function number(value, digits) {
  return value.toFixed(digits).replace("-", MINUS);
}

/** The path in words, for the plot's text alternative. */
function pathSentence(path) {
  if (path.length < 2) return "";
  const first = path[0];
  const last = path[path.length - 1];
  const steps = path.length - 1;
  return (
    ` Gradient descent (orange diamonds): ${steps} step${steps === 1 ? "" : "s"} moved w from ` +
    `${number(first.w, 3)} to ${number(last.w, 3)} and the loss from ${number(first.loss, 4)} ` +
    `to ${number(last.loss, 4)}.`
  );
}

export { extendPath, markedPoint, pathSentence, withPath };
