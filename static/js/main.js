// Entry module: it only wires things. Each interactive part of a page is an element with
// data-widget="NAME"; the module for NAME is loaded on demand and mounted on that element.
import { config } from "./config.js";

const loaders = {
  formulas: () => import("./formulas.js"),
  glossary: () => import("./glossary.js"),
  graph: () => import("./graph/widget.js"),
  quiz: () => import("./quiz/quiz.js"),
  plot: () => import("./plots/plots.js"),
};

function showLoadError(element, error) {
  console.error(error);
  const note = document.createElement("p");
  note.className = "widget-error";
  note.setAttribute("role", "status");
  note.textContent = "This interactive part could not load. Reload the page to try again.";
  element.append(note);
}

for (const element of document.querySelectorAll("[data-widget]")) {
  const load = loaders[element.dataset.widget];
  if (!load) continue;
  load()
    .then((module) => module.mount(element, config))
    .catch((error) => showLoadError(element, error));
}
