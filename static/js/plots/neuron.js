// The one neuron the page talks about (z = w·x + b, a = σ(z), L = bce(a, y)): its values live in
// one object shared by the plots and kept in step with the graph widget of the `neuron` preset.
//   graph widget -> plots: it dispatches `graph:values-changed` (detail {values}) on its element;
//   plots -> graph widget: we dispatch `graph:set-values` (detail {values}) on that element;
//   its gradient-descent steps (`graph:descent-step`, detail {values, loss}) go to the loss plot.

const NAMES = ["w", "x", "b", "y"];
// The figures drawn from the neuron's values. The last of them on a page carries the controls,
// so the controls sit under the plots they move.
const NEURON_FIGURES = ["sigmoid", "loss-tangent"];
const GRAPH_SELECTOR = '[data-widget="graph"][data-preset="neuron"]';

const PRESET = "neuron";

// presets: graph element -> the preset it shows now (its picker can switch to another example).
const state = { values: null, listeners: new Set(), watching: false, presets: new WeakMap() };

function pick(values) {
  const out = {};
  if (!values || typeof values !== "object") return out;
  for (const name of NAMES) {
    const value = Number(values[name]);
    if (name in values && values[name] !== "" && values[name] !== null && Number.isFinite(value)) {
      out[name] = value;
    }
  }
  return out;
}

function sameValues(a, b) {
  return NAMES.every((name) => a[name] === b[name]);
}

/**
 * Change some of the neuron's values; every listener hears it. Only a student's edit in a plot's
 * controls (source "controls") is passed on to the graph widget: defaults never overwrite its state.
 */
function setValues(values, { source = null } = {}) {
  const next = { ...(state.values || {}), ...pick(values) };
  if (state.values && sameValues(next, state.values)) return;
  state.values = next;
  for (const listener of state.listeners) listener(next, source);
  if (source === "controls") {
    for (const element of document.querySelectorAll(GRAPH_SELECTOR)) {
      const preset = state.presets.get(element);
      if (preset !== undefined && preset !== PRESET) continue; // it shows another example now
      element.dispatchEvent(
        new CustomEvent("graph:set-values", { detail: { values: { ...next } } }),
      );
    }
  }
}

/** The neuron's values now, or null before anyone has set them. */
function getValues() {
  return state.values ? { ...state.values } : null;
}

/** The graph widget's values, when it shows the neuron: `graph:ready` seeds, `graph:values-changed` follows. */
function onGraphEvent(event) {
  const detail = event.detail || {};
  if ("preset" in detail) state.presets.set(event.currentTarget, detail.preset);
  if ("preset" in detail && detail.preset !== PRESET) return;
  if (event.type === "graph:ready" && state.values) {
    // The widget mounted after the plots changed the neuron: bring it in step with them.
    const detail = { values: { ...state.values } };
    event.currentTarget.dispatchEvent(new CustomEvent("graph:set-values", { detail }));
    return;
  }
  const values = pick(detail.values);
  if (Object.keys(values).length) setValues(values, { source: "graph" });
}

const descentListeners = new Set();

/** A gradient-descent step of the graph widget showing the neuron: {w, loss} after it. */
function onGraphDescent(event) {
  const preset = state.presets.get(event.currentTarget);
  if (preset !== undefined && preset !== PRESET) return;
  const values = pick(event.detail?.values);
  const loss = Number(event.detail?.loss);
  if (!("w" in values) || !Number.isFinite(loss)) return;
  for (const listener of descentListeners) listener({ w: values.w, loss });
}

/** Call `listener({w, loss})` after each descent step of the neuron's graph widget. */
function onDescent(listener) {
  watchGraphWidgets();
  descentListeners.add(listener);
  return () => descentListeners.delete(listener);
}

function watchGraphWidgets() {
  if (state.watching) return;
  state.watching = true;
  for (const element of document.querySelectorAll(GRAPH_SELECTOR)) {
    element.addEventListener("graph:ready", onGraphEvent);
    element.addEventListener("graph:values-changed", onGraphEvent);
    element.addEventListener("graph:descent-step", onGraphDescent);
  }
}

/** Call `listener(values, source)` whenever the values change; returns a function that stops it. */
function subscribe(listener) {
  watchGraphWidgets();
  state.listeners.add(listener);
  return () => state.listeners.delete(listener);
}

/** Whether the plot in `element` carries the neuron's controls (the last neuron plot does). */
function carriesControls(element) {
  const mounts = [...document.querySelectorAll('[data-widget="plot"]')].filter((el) =>
    NEURON_FIGURES.includes(el.dataset.figure),
  );
  return mounts.length > 0 && mounts[mounts.length - 1] === element;
}

export {
  carriesControls,
  getValues,
  NAMES,
  NEURON_FIGURES,
  onDescent,
  setValues,
  subscribe,
  watchGraphWidgets,
};
