// Entry for the plots: cheap at page load. Nothing heavy (the plot view, plotly.js, the figure's
// data) is fetched until a plot is about to scroll into view or its section is opened.
import { holdTabStop } from "../focus.js";
import { carriesControls, watchGraphWidgets } from "./neuron.js";

const NEAR = "300px"; // start loading this far before a plot enters the viewport

let plotlyPromise = null;

/** plotly.js, loaded once for the whole page by a <script> element (CSP allows 'self' scripts). */
function loadPlotly(url) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!plotlyPromise) {
    plotlyPromise = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.async = true;
      script.addEventListener("load", () => resolve(window.Plotly));
      script.addEventListener("error", () => {
        plotlyPromise = null; // a later plot may try again
        script.remove();
        reject(new Error(`plotly.js could not load from ${url}`));
      });
      document.head.append(script);
    });
  }
  return plotlyPromise;
}

function start(element, config) {
  const view = import("./view.js");
  const plotly = loadPlotly(config.plotly);
  view
    .then((module) => module.render(element, config, plotly))
    .catch((error) => {
      console.error(error);
      element.dataset.plotState = "error";
    });
}

let observer = null;
const pending = new Map(); // element -> config

/** Render the plot in `element` now, if it has not started yet. */
function startOnce(element) {
  const config = pending.get(element);
  if (!config) return;
  pending.delete(element);
  observer?.unobserve(element);
  start(element, config);
}

function onIntersection(entries) {
  for (const entry of entries) {
    if (entry.isIntersecting) startOnce(entry.target);
  }
}

/** Wait until `element` comes near the viewport (a closed <details> opening counts), then render it. */
function mount(element, config) {
  // The graph widget may change the neuron before any plot is drawn: listen from the start.
  watchGraphWidgets();
  if (!("IntersectionObserver" in window)) {
    start(element, config);
    return;
  }
  if (!observer) observer = new IntersectionObserver(onIntersection, { rootMargin: `${NEAR} 0px` });
  pending.set(element, config);
  observer.observe(element);
  // The plot with the controls is a tab stop from page load: the keyboard reaching it renders it.
  if (carriesControls(element)) {
    holdTabStop(element, "Plot with the neuron's controls, loading", () => startOnce(element));
  }
}

export { loadPlotly, mount };
