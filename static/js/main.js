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

function mountWidget(element) {
  loaders[element.dataset.widget]()
    .then((module) => module.mount(element, config))
    .catch((error) => showLoadError(element, error));
}

// The heavy parts mount when they come near the viewport: the text is readable and the page
// responsive first, and a student who never scrolls that far pays nothing for them. (The plots
// mount at once: their module is tiny, and it loads plotly.js on approach by itself.)
const LAZY = new Set(["graph", "quiz"]);

function mountOnApproach(entries, observer) {
  for (const entry of entries) {
    if (!entry.isIntersecting) continue;
    observer.unobserve(entry.target);
    mountWidget(entry.target);
  }
}

const approach = new IntersectionObserver(mountOnApproach, { rootMargin: "800px 0px" });

for (const element of document.querySelectorAll("[data-widget]")) {
  const name = element.dataset.widget;
  if (!(name in loaders)) continue;
  if (LAZY.has(name)) approach.observe(element);
  else mountWidget(element);
}
