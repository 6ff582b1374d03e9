// Colours of the plots come from CSS: the server draws with a fixed light palette (Okabe-Ito for
// the data, so colour-blind readers can tell the lines apart), and each of its colours is swapped
// for the CSS custom property of the same role, which plots.css changes in dark mode.

// The server's palette (lessonengine/figures.py PALETTE) -> the custom property for that role.
const ROLES = {
  "#1f2328": "--plot-ink",
  "#59636e": "--plot-muted",
  "#d1d9e0": "--plot-grid",
  "#ffffff": "--plot-surface",
  "#0072b2": "--plot-blue",
  "#d55e00": "--plot-vermillion",
  "#e69f00": "--plot-orange",
  "#009e73": "--plot-green",
};

function colourMap(element) {
  const style = getComputedStyle(element);
  const map = new Map();
  for (const [hex, property] of Object.entries(ROLES)) {
    const value = style.getPropertyValue(property).trim();
    if (value) map.set(hex, value);
  }
  return { map, font: style.fontFamily };
}

function recolour(value, map) {
  if (typeof value === "string") return map.get(value.toLowerCase()) || value;
  if (Array.isArray(value)) return value.map((item) => recolour(item, map));
  if (value && typeof value === "object") {
    const out = {};
    for (const [key, item] of Object.entries(value)) out[key] = recolour(item, map);
    return out;
  }
  return value;
}

/** A copy of `figure` ({data, layout}) in the colours and font `element` has now. */
function themeFigure(figure, element) {
  const { map, font } = colourMap(element);
  const data = recolour(figure.data || [], map);
  const layout = recolour(figure.layout || {}, map);
  if (font) layout.font = { ...(layout.font || {}), family: font };
  return { data, layout };
}

let watching = false;
const callbacks = new Set();

/** Call `callback` when the reader's colour scheme switches between light and dark. */
function watchColorScheme(callback) {
  callbacks.add(callback);
  if (watching || !window.matchMedia) return;
  watching = true;
  const query = window.matchMedia("(prefers-color-scheme: dark)");
  query.addEventListener("change", (_event) => {
    for (const fn of callbacks) fn();
  });
}

export { themeFigure, watchColorScheme };
