// The class dashboard's model: pure functions from the statistics JSON to what the views draw
// (sorted rows, words, colour levels, the graph's scene). No DOM; tested with node --test.
import { nodeTitle } from "../graph/format.js";
import { stepLabel } from "../graph/yourturn.js";

const LEVELS = ["new", "attempted", "familiar", "proficient", "mastered"];

/** A share (0..1) as a whole percentage, or "—" when there is none. */
const percent = (share) =>
  share === null || share === undefined ? "—" : `${Math.round(share * 100)} %`;

/** A correlation to two decimals with a true minus sign, or "—". */
const fixed = (r) =>
  r === null || r === undefined
    ? "—"
    : r
        .toFixed(2)
        .replace("-", "\u2212")
        .replace(/^−0\.00$/, "0.00");

/** The next sort after pressing a column's button: a new column sorts ascending, the same one flips. */
function nextSort(sort, key) {
  if (sort && sort.key === key)
    return { key, direction: sort.direction === "ascending" ? "descending" : "ascending" };
  return { key, direction: "ascending" };
}

/** Rows sorted by `sort.key` (numbers or text), missing values last either way; stable. */
function sortRows(rows, sort) {
  if (!sort) return rows.slice();
  const sign = sort.direction === "descending" ? -1 : 1;
  const missing = (v) => v === null || v === undefined;
  return rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => {
      const [x, y] = [a.row[sort.key], b.row[sort.key]];
      if (missing(x) || missing(y)) return missing(x) - missing(y) || a.index - b.index;
      const order = typeof x === "number" ? x - y : String(x).localeCompare(String(y));
      return sign * order || a.index - b.index;
    })
    .map(({ row }) => row);
}

/** A quiz item as a table row: the figures, and its most chosen wrong choice. */
function quizRow(item, index) {
  const wrong = item.choices.filter((c) => !c.correct && c.count > 0);
  const top = wrong.sort((a, b) => b.count - a.count)[0] || null;
  return {
    order: index + 1,
    question: item.question,
    prompt: item.prompt || item.question,
    answered: item.answered,
    facility: item.facility,
    discrimination: item.discrimination,
    wrongShare: item.answered ? (top ? top.count / item.answered : 0) : null,
    topWrong: top,
    choices: item.choices,
  };
}

/** A step's share of wrong first attempts (0..1), or null when nobody tried it. */
const wrongShare = (attempts, wrongFirst) => (attempts ? wrongFirst / attempts : null);

/** The colour level of a share of wrong first tries: 0 none, 1 under 25 %, ... 4 from 75 %. */
function wrongLevel(share) {
  if (share === null || share === undefined) return 0;
  return 1 + Math.min(3, Math.floor(share * 4));
}

/** Notes added up across steps, most common first (ties by name). */
function mergeNotes(lists) {
  const counts = new Map();
  for (const list of lists)
    for (const { note, count } of list) counts.set(note, (counts.get(note) || 0) + count);
  return [...counts]
    .map(([note, count]) => ({ note, count }))
    .sort((a, b) => b.count - a.count || a.note.localeCompare(b.note));
}

/**
 * Per node of one graph: its steps (its gradient, local gradients and signals), the learners'
 * first tries added up over them, the share wrong and the notes, most common first.
 */
function nodeSummaries(steps, graphId) {
  const byNode = new Map();
  for (const step of steps) {
    if (step.graph !== graphId) continue;
    const entry = byNode.get(step.node) || { steps: [], attempts: 0, wrongFirst: 0 };
    const wrong = step.wrong_first ?? Math.round(step.attempts * (1 - step.first_try_correct));
    entry.steps.push({ ...step, wrong_first: wrong });
    entry.attempts += step.attempts;
    entry.wrongFirst += wrong;
    byNode.set(step.node, entry);
  }
  for (const entry of byNode.values()) {
    entry.share = wrongShare(entry.attempts, entry.wrongFirst);
    entry.level = wrongLevel(entry.share);
    entry.notes = mergeNotes(entry.steps.map((s) => s.notes));
  }
  return byNode;
}

/** The words under a node and in its name: how often the first try was wrong. */
function nodeCaption(summary) {
  if (!summary?.attempts) return "no attempts yet";
  const tries = summary.attempts === 1 ? "1 first try" : `${summary.attempts} first tries`;
  return `${percent(summary.share)} wrong of ${tries}`;
}

/** The short caption drawn under a node (its name and the details hold the full sentence). */
function nodeBadge(summary) {
  if (!summary?.attempts) return "";
  return `${percent(summary.share)} wrong \u00b7 ${summary.attempts}`;
}

/** What the graph view draws (view.js's scene): values and gradients, selection, a caption per node. */
function graphScene(graph, summaries, selected, focused) {
  // A caption under the nodes students tried; the others stay quiet (their names say it).
  const checks = new Map(
    graph.nodes.map((n) => {
      const summary = summaries.get(n.id);
      return [n.id, { text: nodeBadge(summary), bad: false }];
    }),
  );
  return {
    nodes: graph.nodes,
    selected,
    current: null,
    focused: focused || graph.nodes[0]?.id,
    checks,
    signals: new Map(),
    incoming: new Map(),
    forward: new Set(),
  };
}

/** The details of a selected node: its title, and per step its figures and notes in words. */
function nodeDetails(graph, summaries, id) {
  const node = graph.nodes.find((n) => n.id === id);
  if (!node) return null;
  const summary = summaries.get(id);
  const steps = (summary?.steps || []).map((s) => ({
    label: stepLabel(graph, { node: s.node, quantity: s.quantity, parent: s.parent || null }),
    attempts: s.attempts,
    firstTryCorrect: s.first_try_correct,
    notes: s.notes,
  }));
  return {
    title: nodeTitle(node),
    caption: nodeCaption(summary),
    notes: summary ? summary.notes : [],
    steps,
  };
}

/** A practice skill as a table row: learners per level and overdue reviews. */
function skillRow(skill) {
  return {
    skill: skill.skill,
    title: skill.title || skill.skill,
    ...skill.levels,
    overdue: skill.overdue ?? 0,
  };
}

const counted = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
const dayLine = (d) =>
  `${d.day}, ${counted(d.answers, "answer")} by ${counted(d.learners, "learner")}`;

/** The activity chart's text alternative: the total, the busiest day, the latest day. */
function activitySentence(days) {
  if (!days.length) return "No answers yet.";
  const total = days.reduce((sum, d) => sum + d.answers, 0);
  const busiest = days.reduce((a, b) => (b.answers > a.answers ? b : a));
  const last = days[days.length - 1];
  return (
    `${counted(total, "answer")} over ${counted(days.length, "day")}, from ${days[0].day} to ` +
    `${last.day}. Busiest: ${dayLine(busiest)}. Latest: ${dayLine(last)}.`
  );
}

/** The practice chart's text alternative: per skill, learners at each level that has any. */
function practiceSentence(skills) {
  if (!skills.length) return "No practice skills yet.";
  return skills
    .map((s) => {
      const parts = LEVELS.filter((l) => s.levels[l]).map((l) => `${s.levels[l]} ${l}`);
      const overdue = s.overdue ? `, ${s.overdue} overdue` : "";
      return `${s.title || s.skill}: ${parts.join(", ") || "nobody yet"}${overdue}.`;
    })
    .join(" ");
}

/** A chart axis of whole counts up to `max`: integer labels, a tick per unit while they are few. */
function countAxis(max) {
  return max <= 10 ? { tickformat: ",d", dtick: 1, tick0: 0 } : { tickformat: ",d" };
}

/** A chart axis of days: a date per tick and one tick a day at most (never hours). */
const DAY_AXIS = { type: "date", tickformat: "%b %d", dtick: 86400000 };

/** A label broken into lines of at most `width` characters (at spaces), joined by <br> for plotly. */
function wrapLabel(text, width) {
  const lines = [];
  for (const word of text.split(" ")) {
    const last = lines[lines.length - 1];
    if (last !== undefined && last.length + 1 + word.length <= width)
      lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines.join("<br>");
}

export {
  activitySentence,
  countAxis,
  DAY_AXIS,
  fixed,
  graphScene,
  LEVELS,
  mergeNotes,
  nextSort,
  nodeBadge,
  nodeCaption,
  nodeDetails,
  nodeSummaries,
  percent,
  practiceSentence,
  quizRow,
  skillRow,
  sortRows,
  wrapLabel,
  wrongLevel,
  wrongShare,
};
