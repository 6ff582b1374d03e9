// Entry module: it only wires things. Each interactive part of a page is an element with
// data-widget="NAME"; the module for NAME is loaded on demand and mounted on that element.
import { config } from "./config.js";
import { holdTabStop, keepFocusInView } from "./focus.js";

const loaders = {
  formulas: () => import("./formulas.js"),
  glossary: () => import("./glossary.js"),
  graph: () => import("./graph/widget.js"),
  quiz: () => import("./quiz/quiz.js"),
  toc: () => import("./toc.js"),
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

// The heavy parts mount when they come near the viewport, or when the keyboard reaches them:
// the text is readable and the page responsive first, and a student who never goes that far
// pays nothing for them. Until then each is a tab stop of its own (focus.js), so Tab reaches
// every widget from page load. (The plots mount at once: their module is tiny, and it loads
// plotly.js on approach or on focus by itself.)
const LAZY = {
  graph: { label: "Interactive graph, loading", readyEvent: "graph:ready" },
  quiz: { label: "Quiz, loading" },
};
const mounted = new WeakSet();

function mountOnce(element) {
  if (mounted.has(element)) return;
  mounted.add(element);
  approach.unobserve(element);
  mountWidget(element);
}

function mountOnApproach(entries, _observer) {
  for (const entry of entries) {
    if (entry.isIntersecting) mountOnce(entry.target);
  }
}

const approach = new IntersectionObserver(mountOnApproach, { rootMargin: "800px 0px" });

for (const element of document.querySelectorAll("[data-widget]")) {
  const name = element.dataset.widget;
  if (!(name in loaders)) continue;
  if (name in LAZY) {
    const { label, readyEvent } = LAZY[name];
    holdTabStop(element, label, () => mountOnce(element), { readyEvent });
    approach.observe(element);
  } else mountWidget(element);
}

keepFocusInView(document.querySelector("main") || document.body);
