// One plot on the page: a <figure> with a caption, the plotly chart, its text alternative with the
// current numbers, and (for the neuron's plots) the controls. Figures come from the server
// (GET /api/plots/<figure>) and are drawn with Plotly.react; colours follow the page's theme.
import { ApiError, request } from "../api.js";
import { element as make } from "../dom.js";
import { rangeMessage } from "../graph/model.js";
import {
  carriesControls,
  getValues,
  NAMES,
  NEURON_FIGURES,
  onDescent,
  setValues,
  subscribe,
} from "./neuron.js";
import { extendPath, markedPoint, pathSentence, withPath } from "./path.js";
import { themeFigure, watchColorScheme } from "./theme.js";

const DEBOUNCE_MS = 120;
const PLOT_CONFIG = {
  displayModeBar: false, // no toolbar: nothing interactive inside the role="img" container
  displaylogo: false,
  responsive: true,
  scrollZoom: false,
  doubleClick: false,
  showTips: false,
  modeBarButtonsToRemove: ["zoom2d", "pan2d", "select2d", "lasso2d", "autoScale2d", "resetScale2d"],
};

const plots = new Set(); // every rendered plot, redrawn when the colour scheme changes
let counter = 0;

/** The figure's JSON for `values` (null: the server's defaults), or an ApiError with a sentence. */
function fetchFigure(figure, values, signal) {
  const query = values
    ? `?${new URLSearchParams(NAMES.filter((n) => n in values).map((n) => [n, String(values[n])]))}`
    : "";
  return request(`plots/${encodeURIComponent(figure)}${query}`, { signal });
}

const bounded = (bound) => bound !== null && bound !== undefined;

/** A control's value, or a sentence saying what is wrong with it. */
function readControl(control) {
  const { input, spec } = control;
  if (input.validity.badInput) return { error: `${spec.name} must be a number.` };
  const text = input.value.trim();
  if (text === "") return { error: `Enter a number for ${spec.name}.` };
  const value = Number(text);
  if (!Number.isFinite(value)) return { error: `${spec.name} must be a number.` };
  // The engine's rule for the input, in the graph's words: both widgets refuse the same values
  // alike. The engine's limit on any number is the server's to say (as it is for the graph).
  const error = rangeMessage(spec.name, value, spec.range);
  return error ? { error } : { value };
}

function showMessage(plot, field, message) {
  const control = plot.controls?.get(field);
  if (control) {
    control.message.textContent = message;
    if (message) control.input.setAttribute("aria-invalid", "true");
    else control.input.removeAttribute("aria-invalid");
    return;
  }
  plot.status.textContent = message;
}

function onControlInput(plot, control, immediate) {
  clearTimeout(plot.timer);
  const apply = () => {
    const { value, error } = readControl(control);
    showMessage(plot, control.spec.name, error || "");
    if (error) return; // the plot keeps its last good state
    setValues({ [control.spec.name]: value }, { source: "controls" });
  };
  if (immediate) apply();
  else plot.timer = setTimeout(apply, DEBOUNCE_MS);
}

function buildControls(plot, inputs) {
  const fieldset = make("fieldset", { class: "plot-controls" });
  fieldset.append(make("legend", {}, "The neuron's values"));
  plot.controls = new Map();
  for (const spec of inputs) {
    const id = `${plot.id}-${spec.name}`;
    const row = make("div", { class: "plot-control" });
    const label = make("label", { for: id }, spec.label);
    const input = make("input", {
      id,
      name: spec.name,
      type: "number",
      inputmode: "decimal",
      min: bounded(spec.min) ? String(spec.min) : null,
      max: bounded(spec.max) ? String(spec.max) : null,
      step: String(spec.step),
      "aria-describedby": `${id}-message`,
    });
    const message = make("span", {
      id: `${id}-message`,
      class: "plot-message",
      "aria-live": "polite",
    });
    const control = { input, message, spec };
    input.addEventListener("input", (_event) => onControlInput(plot, control, false));
    input.addEventListener("change", (_event) => onControlInput(plot, control, true));
    row.append(label, input, message);
    fieldset.append(row);
    plot.controls.set(spec.name, control);
  }
  return fieldset;
}

/**
 * Write the neuron's values into the controls and clear their messages, except in the control
 * the student is typing in: an answer to an earlier keystroke must not overwrite the later ones.
 */
function showValuesInControls(plot, values) {
  if (!plot.controls) return;
  for (const [name, control] of plot.controls) {
    if (!(name in values) || control.input === document.activeElement) continue;
    // Four decimals are plenty to read (a descent step leaves long ones); the neuron keeps all.
    const shown = String(Number(values[name].toFixed(4)));
    if (control.input.value !== shown) control.input.value = shown;
    showMessage(plot, name, "");
  }
}

/** Build the <figure> once, replacing the fallback, when the first figure arrives. */
function buildFigure(plot, data) {
  const figure = make("figure", { class: "plot" });
  plot.caption = make("figcaption", { class: "plot-caption" }, data.caption || "");
  plot.canvas = make("div", {
    class: "plot-canvas",
    role: "img",
    "aria-labelledby": `${plot.id}-alt`,
  });
  plot.alt = make("p", { id: `${plot.id}-alt`, class: "plot-alt", "aria-live": "polite" });
  plot.status = make("p", { class: "plot-status", role: "status" });
  figure.append(plot.caption, plot.canvas, plot.alt);
  if (plot.hasControls && Array.isArray(data.inputs))
    figure.append(buildControls(plot, data.inputs));
  figure.append(plot.status);
  plot.element.replaceChildren(figure);
}

function draw(plot) {
  const figure = withPath(plot.data.figure, plot.path);
  const { data, layout } = themeFigure(figure, plot.canvas);
  plot.Plotly.react(plot.canvas, data, layout, PLOT_CONFIG);
  plot.alt.textContent = plot.data.alt + pathSentence(plot.path);
  if (plot.data.caption) plot.caption.textContent = plot.data.caption;
}

/** Show a figure's answer: build the <figure> the first time, then redraw and say the numbers. */
function show(plot, data) {
  if (!plot.canvas) buildFigure(plot, data);
  plot.data = data;
  plot.shown = data.values || null;
  plot.status.textContent = "";
  if (plot.shown) showValuesInControls(plot, plot.shown);
  draw(plot);
  plot.element.dataset.plotState = "ready";
}

/** Fetch the figure for `values` and show it; a bad value leaves the last good plot on screen. */
async function refresh(plot, values) {
  if (plot.controller) plot.controller.abort();
  const controller = new AbortController();
  plot.controller = controller;
  try {
    show(plot, await fetchFigure(plot.figure, values, controller.signal));
  } catch (error) {
    if (error.name === "AbortError") return;
    showMessage(plot, error.field, error.message);
  } finally {
    if (plot.controller === controller) plot.controller = null;
  }
}

function onValues(plot, values) {
  showValuesInControls(plot, values);
  // A descent step changes the values and then reports the step, in one go: any other change
  // (a control, the graph's own inputs) ends the path, which no longer matches the plot.
  plot.stepped = false;
  queueMicrotask(() => {
    if (!plot.stepped && plot.path.length) {
      plot.path = [];
      if (plot.data) draw(plot);
    }
  });
  const shown = plot.shown;
  if (shown && NAMES.every((n) => shown[n] === values[n])) return;
  refresh(plot, values).catch((error) => console.error(error));
}

/** One gradient-descent step of the graph widget: the path grows by the engine's (w, L). */
function onStep(plot, step) {
  plot.stepped = true;
  plot.path = extendPath(plot.path, markedPoint(plot.data?.figure), step);
  if (plot.data) draw(plot);
}

/** The first figure: for `values`, or for the defaults when the server refuses one of them. */
async function firstFigure(figure, values) {
  try {
    return { data: await fetchFigure(figure, values), refused: null };
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 400 || !values) throw error;
    return { data: await fetchFigure(figure, null), refused: error };
  }
}

function redrawAll() {
  for (const plot of plots) if (plot.data) draw(plot);
}

/** Render the plot in `element`: fetch its figure while plotly.js loads, draw, then follow the neuron. */
async function render(element, _config, plotlyPromise) {
  counter += 1;
  const figure = element.dataset.figure;
  const isNeuron = NEURON_FIGURES.includes(figure);
  const plot = {
    element,
    figure,
    id: `plot-${figure}-${counter}`,
    hasControls: carriesControls(element),
    path: [], // the gradient-descent steps drawn on the loss plot: [{w, loss}]
    stepped: false,
  };
  element.dataset.plotState = "loading";
  try {
    // The figure's data and plotly.js travel at the same time. The <figure> and its controls go
    // up with the data (the smaller of the two), so the keyboard can use them while plotly.js
    // still loads; the canvas keeps its height meanwhile, so nothing moves when the chart comes.
    plotlyPromise.catch(() => {}); // awaited below; a failure is handled there
    const values = isNeuron ? getValues() : null;
    const answer = await firstFigure(figure, values);
    buildFigure(plot, answer.data);
    showValuesInControls(plot, answer.data.values || {});
    plot.Plotly = await plotlyPromise;
    show(plot, answer.data);
    if (answer.refused) {
      // The engine refuses the neuron's values (set in the graph widget, say): the plot starts
      // from the defaults, and the control (or the status line) says why, in the engine's words.
      showValuesInControls(plot, values);
      showMessage(plot, answer.refused.field, answer.refused.message);
    }
  } catch (error) {
    element.dataset.plotState = "error";
    const sentence =
      error instanceof ApiError
        ? error.message
        : "This plot could not load. Reload the page to try again.";
    element.append(make("p", { class: "widget-error", role: "status" }, sentence));
    throw error;
  }
  plots.add(plot);
  watchColorScheme(redrawAll);
  if (!isNeuron) return;
  subscribe((values, _source) => onValues(plot, values));
  if (figure === "loss-tangent") onDescent((step) => onStep(plot, step));
  // The first answer carries the defaults (the engine's preset) unless the neuron already had values;
  // values that changed while this plot was loading are caught up here.
  if (!getValues() && plot.shown) setValues(plot.shown, { source: "defaults" });
  else if (getValues()) onValues(plot, getValues());
}

export { render };
