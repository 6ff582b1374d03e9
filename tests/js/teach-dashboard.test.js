import assert from "node:assert/strict";
import { test } from "node:test";
import {
  activitySentence,
  countAxis,
  DAY_AXIS,
  fixed,
  graphScene,
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
} from "../../static/js/teach/dashboard-model.js";

const step = (node, quantity, parent, attempts, wrong, notes = []) => ({
  graph: "neuron",
  node,
  quantity,
  parent,
  attempts,
  first_try_correct: (attempts - wrong) / attempts,
  wrong_first: wrong,
  notes,
});

test("percent and fixed say nothing when there is no figure", () => {
  assert.equal(percent(0.5), "50 %");
  assert.equal(percent(1 / 3), "33 %");
  assert.equal(percent(null), "—");
  assert.equal(fixed(0.3947), "0.39");
  assert.equal(fixed(-0.25), "\u22120.25");
  assert.equal(fixed(-0.001), "0.00");
  assert.equal(fixed(null), "—");
});

test("a column's button sorts ascending first, then flips", () => {
  let sort = nextSort(null, "facility");
  assert.deepEqual(sort, { key: "facility", direction: "ascending" });
  sort = nextSort(sort, "facility");
  assert.equal(sort.direction, "descending");
  assert.deepEqual(nextSort(sort, "answered"), { key: "answered", direction: "ascending" });
});

test("rows sort by numbers or text, missing values last both ways, stably", () => {
  const rows = [
    { id: "a", f: 0.5, t: "b" },
    { id: "b", f: null, t: "a" },
    { id: "c", f: 0.2, t: "c" },
    { id: "d", f: 0.5, t: "a" },
  ];
  const ids = (sort) => sortRows(rows, sort).map((r) => r.id);
  assert.deepEqual(ids({ key: "f", direction: "ascending" }), ["c", "a", "d", "b"]);
  assert.deepEqual(ids({ key: "f", direction: "descending" }), ["a", "d", "c", "b"]);
  assert.deepEqual(ids({ key: "t", direction: "ascending" }), ["b", "d", "a", "c"]);
  assert.deepEqual(ids(null), ["a", "b", "c", "d"]);
  assert.equal(rows[0].id, "a"); // the input is not reordered
});

test("a quiz row names its most chosen wrong choice", () => {
  const item = {
    question: "q",
    prompt: "P",
    answered: 10,
    facility: 0.6,
    discrimination: 0.3,
    choices: [
      { id: "a", count: 6, correct: true },
      { id: "b", count: 1, correct: false },
      { id: "c", count: 3, correct: false, misconception: "Forgot x." },
    ],
  };
  const row = quizRow(item, 0);
  assert.equal(row.order, 1);
  assert.equal(row.topWrong.id, "c");
  assert.equal(row.wrongShare, 0.3);
  const none = quizRow(
    { ...item, answered: 0, choices: item.choices.map((c) => ({ ...c, count: 0 })) },
    1,
  );
  assert.equal(none.topWrong, null);
  assert.equal(none.wrongShare, null);
});

test("wrong shares fall into five colour levels", () => {
  assert.deepEqual(
    [null, 0, 0.24, 0.25, 0.5, 0.74, 0.75, 1].map(wrongLevel),
    [0, 1, 1, 2, 3, 3, 4, 4],
  );
});

test("notes add up across steps, most common first", () => {
  const merged = mergeNotes([
    [
      { note: "sign", count: 2 },
      { note: "missed-fork", count: 1 },
    ],
    [{ note: "missed-fork", count: 3 }],
    [{ note: "add-split", count: 2 }],
  ]);
  assert.deepEqual(merged, [
    { note: "missed-fork", count: 4 },
    { note: "add-split", count: 2 },
    { note: "sign", count: 2 },
  ]);
});

const graph = {
  output: "L",
  nodes: [
    { id: "w", label: "w", op: "input", parents: [], value: 0.8, grad: -0.5, shape: [] },
    { id: "z", label: "z", op: "add", parents: ["w"], value: 0.7, grad: -0.3, shape: [] },
    { id: "L", label: "L", op: "bce", parents: ["z"], value: 0.4, grad: 1, shape: [] },
  ],
};

test("a node's summary adds up its steps: its gradient and its signals", () => {
  const steps = [
    step("w", "grad", "", 4, 3, [{ note: "sign", count: 3 }]),
    step("z", "grad", "", 2, 0),
    step("z", "signal", "w", 2, 1, [{ note: "forgot-upstream", count: 1 }]),
    { ...step("w", "grad", "", 9, 9), graph: "chain" }, // another graph
  ];
  const summaries = nodeSummaries(steps, "neuron");
  assert.deepEqual([...summaries.keys()], ["w", "z"]);
  const z = summaries.get("z");
  assert.equal(z.attempts, 4);
  assert.equal(z.wrongFirst, 1);
  assert.equal(z.share, 0.25);
  assert.equal(z.level, 2);
  assert.equal(summaries.get("w").level, 4);
  assert.equal(nodeCaption(summaries.get("w")), "75 % wrong of 4 first tries");
  assert.equal(nodeCaption(undefined), "no attempts yet");

  const scene = graphScene(graph, summaries, "z", null);
  assert.equal(scene.selected, "z");
  assert.equal(scene.focused, "w"); // the first node holds the Tab stop
  // Short enough to sit under the narrowest node (124 units): the full sentence is in its name.
  assert.equal(scene.checks.get("w").text, "75 % wrong \u00b7 4");
  assert.equal(nodeBadge(summaries.get("w")), "75 % wrong \u00b7 4");
  assert.equal(nodeBadge(undefined), "");
  assert.equal(scene.checks.get("L").text, ""); // untried: no caption
  assert.ok(scene.signals instanceof Map && scene.forward instanceof Set);

  const details = nodeDetails(graph, summaries, "z");
  assert.equal(details.title, "z");
  assert.equal(details.caption, "25 % wrong of 4 first tries");
  assert.deepEqual(details.notes, [{ note: "forgot-upstream", count: 1 }]);
  assert.equal(details.steps.length, 2);
  assert.match(details.steps[1].label, /^Signal sent back to w/);
  assert.equal(nodeDetails(graph, summaries, "nope"), null);
});

test("a step counted from its share when wrong_first is absent", () => {
  const raw = { ...step("w", "grad", "", 4, 1) };
  delete raw.wrong_first;
  assert.equal(nodeSummaries([raw], "neuron").get("w").wrongFirst, 1);
});

test("practice rows and the charts' text alternatives", () => {
  const skill = {
    skill: "chain",
    title: "The chain",
    levels: { new: 3, attempted: 0, familiar: 2, proficient: 0, mastered: 1 },
    overdue: 1,
  };
  assert.deepEqual(skillRow(skill), {
    skill: "chain",
    title: "The chain",
    new: 3,
    attempted: 0,
    familiar: 2,
    proficient: 0,
    mastered: 1,
    overdue: 1,
  });
  assert.equal(practiceSentence([skill]), "The chain: 3 new, 2 familiar, 1 mastered, 1 overdue.");
  assert.equal(practiceSentence([]), "No practice skills yet.");
  const days = [
    { day: "2026-11-02", answers: 5, learners: 2 },
    { day: "2026-11-03", answers: 9, learners: 4 },
    { day: "2026-11-05", answers: 1, learners: 1 },
  ];
  assert.equal(
    activitySentence(days),
    "15 answers over 3 days, from 2026-11-02 to 2026-11-05. Busiest: 2026-11-03, 9 answers by 4 " +
      "learners. Latest: 2026-11-05, 1 answer by 1 learner.",
  );
  assert.equal(activitySentence([]), "No answers yet.");
});

test("chart labels wrap at spaces for a phone", () => {
  assert.equal(
    wrapLabel("Through one neuron to its weight", 16),
    "Through one<br>neuron to its<br>weight",
  );
  assert.equal(wrapLabel("ReLU's signals", 16), "ReLU's signals");
  assert.equal(wrapLabel("Averyveryverylongword here", 5), "Averyveryverylongword<br>here");
});

test("chart axes count whole learners and show days, not hours", () => {
  // One or two learners: a tick per learner, never 0.5.
  assert.deepEqual(countAxis(1), { tickformat: ",d", dtick: 1, tick0: 0 });
  assert.deepEqual(countAxis(10), { tickformat: ",d", dtick: 1, tick0: 0 });
  // Many: plotly spaces the ticks, still labelled as integers.
  assert.deepEqual(countAxis(11), { tickformat: ",d" });
  assert.equal(DAY_AXIS.tickformat, "%b %d");
  assert.equal(DAY_AXIS.dtick, 24 * 60 * 60 * 1000);
});
