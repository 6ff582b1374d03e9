// The dashboard's two charts (activity per day, practice levels per skill), drawn with plotly.js
// loaded only when a chart comes near the viewport, as the lesson's plots are. Each chart is an
// image to assistive technology, named by its text alternative, which is on the page as well.
import { element as make } from "../dom.js";
import { loadPlotly } from "../plots/plots.js";
import { themeFigure, watchColorScheme } from "../plots/theme.js";
import {
  activitySentence,
  countAxis,
  DAY_AXIS,
  LEVELS,
  practiceSentence,
  wrapLabel,
} from "./dashboard-model.js";

// The lesson's palette (lessonengine/figures.py): theme.js swaps each for its CSS colour.
const INK = "#1f2328";
const GRID = "#d1d9e0";
const SURFACE = "#ffffff";
// new, attempted, familiar, proficient, mastered (and the activity's kinds); "new" in the muted ink.
const SERIES = ["#59636e", "#e69f00", "#0072b2", "#009e73", "#d55e00"];
const PLOT_CONFIG = { displayModeBar: false, responsive: true, staticPlot: true };
let uid = 0;

function layoutOf(extra) {
  return {
    paper_bgcolor: SURFACE,
    plot_bgcolor: SURFACE,
    font: { color: INK, size: 13 },
    margin: { l: 48, r: 12, t: 40, b: 48 },
    height: 280,
    barmode: "stack",
    // Above the plot: below it, the legend would run into the axis's title on a phone.
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
    xaxis: { gridcolor: GRID, automargin: true },
    yaxis: { gridcolor: GRID, automargin: true, rangemode: "tozero" },
    ...extra,
  };
}

function activityFigure(days) {
  const x = days.map((d) => d.day);
  const kinds = [
    ["quiz", "Quiz", SERIES[2]],
    ["graph", "Your turn", SERIES[1]],
    ["practice", "Practice", SERIES[3]],
  ];
  return {
    data: kinds.map(([key, name, color]) => ({
      type: "bar",
      name,
      x,
      y: days.map((d) => d[key]),
      marker: { color },
    })),
    layout: layoutOf({
      // Days, not midnights: with a day or two of data plotly would label hours.
      xaxis: { gridcolor: GRID, automargin: true, ...DAY_AXIS },
      yaxis: {
        gridcolor: GRID,
        title: { text: "answers" },
        rangemode: "tozero",
        ...countAxis(Math.max(0, ...days.map((d) => d.answers))),
      },
    }),
  };
}

function practiceFigure(skills, narrow) {
  // On a phone the skills' names wrap, so the bars keep some width.
  const y = skills.map((s) => wrapLabel(s.title || s.skill, narrow ? 16 : 40));
  return {
    data: LEVELS.map((level, i) => ({
      type: "bar",
      orientation: "h",
      name: level,
      y,
      x: skills.map((s) => s.levels[level]),
      marker: { color: SERIES[i] },
    })),
    layout: layoutOf({
      height: 110 + (narrow ? 58 : 36) * Math.max(1, skills.length),
      margin: { l: 12, r: 12, t: 40, b: 48 },
      // Whole learners: the bars stack, so the longest bar is a skill's total.
      xaxis: {
        gridcolor: GRID,
        title: { text: "learners" },
        rangemode: "tozero",
        ...countAxis(
          Math.max(0, ...skills.map((s) => LEVELS.reduce((n, l) => n + s.levels[l], 0))),
        ),
      },
      yaxis: { automargin: true, autorange: "reversed" },
    }),
  };
}

/** A chart in `host`: the figure (drawn on approach) and its text alternative. */
function chart(host, figure, sentence, plotlyUrl) {
  uid += 1;
  const alt = make("p", { id: `dashboard-chart-${uid}`, class: "dashboard-alt" }, sentence);
  const canvas = make("div", {
    class: "dashboard-chart",
    role: "img",
    "aria-labelledby": alt.id,
  });
  host.append(canvas, alt);
  const draw = (Plotly) => {
    const { data, layout } = themeFigure(figure, canvas);
    Plotly.react(canvas, data, layout, PLOT_CONFIG);
  };
  const start = () =>
    loadPlotly(plotlyUrl)
      .then((Plotly) => {
        draw(Plotly);
        watchColorScheme(() => draw(Plotly));
        canvas.dataset.plotState = "drawn";
      })
      .catch((error) => {
        console.error(error);
        canvas.dataset.plotState = "error";
      });
  if (!("IntersectionObserver" in window)) return start();
  const observer = new IntersectionObserver(
    (entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      observer.disconnect();
      start();
    },
    { rootMargin: "300px 0px" },
  );
  observer.observe(canvas);
}

/** The activity chart. */
function renderActivity(host, days, plotlyUrl) {
  host.replaceChildren();
  if (!days.length) host.append(make("p", {}, activitySentence(days)));
  else chart(host, activityFigure(days), activitySentence(days), plotlyUrl);
}

/** The practice chart (the table beside it holds the same numbers). */
function renderPracticeChart(host, skills, plotlyUrl) {
  if (!skills.length) return;
  const narrow = host.clientWidth < 560;
  chart(host, practiceFigure(skills, narrow), practiceSentence(skills), plotlyUrl);
}

export { renderActivity, renderPracticeChart };
