// Entry of a class's dashboard: it only wires. The statistics and the activity come from the
// teacher API (paths from the page, relative to the API root); the model turns them into rows
// and scenes; the views draw. One state per table, one set() per change.
import { request } from "../api.js";
import { config } from "../config.js";
import { element as make } from "../dom.js";
import { renderActivity, renderPracticeChart } from "./dashboard-charts.js";
import { renderGraphs } from "./dashboard-graphs.js";
import { fixed, nextSort, percent, quizRow, skillRow } from "./dashboard-model.js";
import { createTable, drawTable, trustedHtml } from "./dashboard-view.js";

/** A sortable table in `host` over `rows`, starting in the order `sort`. */
function sortable(host, options, rows, sort = null) {
  let state = sort;
  const view = createTable(host, {
    ...options,
    onSort: (key) => {
      state = nextSort(state, key);
      drawTable(view, rows, state);
    },
  });
  drawTable(view, rows, state);
  return view;
}

function choiceList(row) {
  const list = make("ul", { class: "dashboard-choices" });
  for (const choice of row.choices) {
    const item = make("li", {
      "data-choice": choice.id,
      class: choice.correct ? "is-correct" : null,
    });
    item.append(
      make("b", {}, `${choice.count}`),
      " ",
      trustedHtml(choice.text, "choice-text"),
      choice.correct ? make("span", { class: "choice-mark" }, " (right answer)") : "",
    );
    if (!choice.correct && choice.misconception)
      item.append(" ", trustedHtml(choice.misconception, "choice-misconception"));
    list.append(item);
  }
  return list;
}

/** The most chosen wrong choice: its share of the answers, and the choice itself. */
function topWrongCell(row) {
  const cell = make("span", { class: "top-wrong" }, percent(row.wrongShare));
  if (row.topWrong) cell.append(" ", trustedHtml(row.topWrong.text, "top-wrong-choice"));
  return cell;
}

function renderQuiz(host, quiz) {
  host.replaceChildren();
  if (!quiz.length) {
    host.append(make("p", {}, "This course has no quiz."));
    return;
  }
  const rows = quiz.map((item, i) => ({ ...quizRow(item, i), key: item.question }));
  sortable(
    host,
    {
      caption: "Quiz questions: sort by a column with its button",
      columns: [
        { key: "order", label: "Question", cell: (r) => trustedHtml(r.prompt, "question-prompt") },
        { key: "answered", label: "Answered", numeric: true, cell: (r) => String(r.answered) },
        { key: "facility", label: "Facility", numeric: true, cell: (r) => percent(r.facility) },
        {
          key: "discrimination",
          label: "Discrimination",
          numeric: true,
          cell: (r) => fixed(r.discrimination),
        },
        {
          key: "wrongShare",
          label: "Top wrong choice",
          numeric: true,
          cell: topWrongCell,
        },
        { key: "choices", label: "Choices: first answers", sortable: false, cell: choiceList },
      ],
    },
    rows,
  );
}

function renderPractice(host, skills, plotlyUrl) {
  host.replaceChildren();
  if (!skills.length) {
    host.append(make("p", {}, "No practice skills yet."));
    return;
  }
  const number = (key, label) => ({ key, label, numeric: true, cell: (r) => String(r[key]) });
  sortable(
    host,
    {
      caption: "Learners at each level of each skill, and reviews overdue",
      columns: [
        { key: "title", label: "Skill", cell: (r) => r.title },
        number("new", "New"),
        number("attempted", "Attempted"),
        number("familiar", "Familiar"),
        number("proficient", "Proficient"),
        number("mastered", "Mastered"),
        number("overdue", "Overdue reviews"),
      ],
    },
    skills.map((s) => ({ ...skillRow(s), key: s.skill })),
  );
  renderPracticeChart(host, skills, plotlyUrl);
}

async function start(root) {
  const settings = JSON.parse(root.dataset.dashboard);
  const part = (name) => root.querySelector(`[data-part="${name}"]`);
  const status = root.querySelector(".dashboard-status");
  const activity = request(settings.activity);
  try {
    const stats = await request(settings.stats);
    root.querySelector('[data-fact="learners"]').textContent = String(stats.class.learners);
    renderQuiz(part("quiz"), stats.quiz);
    renderGraphs(part("graphs"), settings.presets, stats.nodes, settings.notes);
    renderPractice(part("practice"), stats.skills, config.plotly);
    renderActivity(part("activity"), (await activity).days, config.plotly);
    status.textContent = "";
    root.dataset.state = "ready";
  } catch (error) {
    status.textContent = error.message;
    root.dataset.state = "error";
  }
}

const root = document.querySelector("[data-dashboard]");
if (root) start(root);
