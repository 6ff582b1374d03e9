import assert from "node:assert/strict";
import { test } from "node:test";
import {
  answerHelp,
  answerText,
  currentSkill,
  dueText,
  exerciseChanges,
  exerciseRequest,
  failureChanges,
  graphScene,
  initialState,
  lessonProgress,
  levelAnnouncement,
  nextChanges,
  progressText,
  resultChanges,
  seedFromSearch,
  shareSearch,
  verdictHead,
} from "../../static/js/practice/model.js";

const LEVELS = ["new", "attempted", "familiar", "proficient", "mastered"];
const LABELS = Object.fromEntries(LEVELS.map((l) => [l, l[0].toUpperCase() + l.slice(1)]));
const skill = (id, extra = {}) => ({
  id,
  title: `Skill ${id}`,
  lesson: "l",
  level: "new",
  due: null,
  due_now: false,
  ...extra,
});
const config = (mode, skills, one = null) => ({
  mode,
  skill: one,
  skills,
  levels: LEVELS,
  labels: LABELS,
});
const exercise = (id, extra = {}) => ({
  id: "e1",
  skill: id,
  seed: 9,
  prompt_html: "<p>?</p>",
  graph: null,
  find: null,
  answer: { kind: "number", choices: null, names: [] },
  level: "new",
  due: null,
  due_now: false,
  ...extra,
});
const apply = (state, changes) => ({ ...state, ...changes });

test("a shared seed is read from the address only when it is a whole number in range", () => {
  assert.equal(seedFromSearch("?seed=42"), 42);
  assert.equal(seedFromSearch("?seed=9007199254740991"), 2 ** 53 - 1);
  for (const bad of ["", "?seed=", "?seed=-1", "?seed=1.5", "?seed=1e3", "?seed=9007199254740992"])
    assert.equal(seedFromSearch(bad), null, bad);
  assert.equal(shareSearch(17), "?seed=17");
});

test("the first exercise of a skill asks for the shared seed, later ones for a random one", () => {
  let state = initialState(config("skill", [skill("a")], "a"), "?seed=5");
  assert.equal(currentSkill(state), "a");
  assert.deepEqual(exerciseRequest(state), { seed: 5 });
  state = apply(state, exerciseChanges(state, exercise("a", { seed: 5 })));
  assert.equal(state.count, 1);
  assert.deepEqual(exerciseRequest(state), {});
  assert.deepEqual(exerciseRequest(initialState(config("skill", [skill("a")], "a"))), {});
});

test("a reply moves the level, says so once, and keeps the feedback", () => {
  let state = initialState(config("skill", [skill("a")], "a"));
  state = apply(state, exerciseChanges(state, exercise("a")));
  const reply = {
    correct: true,
    note: "correct",
    feedback: "Right: 1.5.",
    level: "familiar",
    level_before: "new",
    due: null,
    due_now: false,
  };
  state = apply(state, resultChanges(state, reply));
  assert.equal(state.skills.get("a").level, "familiar");
  assert.equal(state.levelChange, "Level up: Familiar.");
  // The grader's sentence already says "Right": it is not said twice.
  assert.equal(state.announce, "Right: 1.5. Level up: Familiar.");
  assert.equal(verdictHead({ correct: false, feedback: "Not this one." }), "Not quite.");
  state = apply(state, resultChanges(state, { ...reply, level_before: "familiar" }));
  assert.equal(state.levelChange, "");
});

test("level announcements: up after a right answer, down after a miss, a first try plainly", () => {
  assert.equal(
    levelAnnouncement("familiar", "proficient", LABELS, LEVELS),
    "Level up: Proficient.",
  );
  assert.equal(
    levelAnnouncement("mastered", "proficient", LABELS, LEVELS, false),
    "Level down: Proficient.",
  );
  assert.equal(levelAnnouncement("new", "attempted", LABELS, LEVELS, false), "Level: Attempted.");
  assert.equal(levelAnnouncement("familiar", "familiar", LABELS, LEVELS), "");
});

test("a mixed review takes the due skills in turn: right leaves the queue, wrong goes to the back", () => {
  const due = { level: "proficient", due: "2026-12-01", due_now: true };
  let state = initialState(config("review", [skill("a", due), skill("b", due), skill("c", due)]));
  assert.deepEqual(state.queue, ["a", "b", "c"]);
  state = apply(state, { result: { correct: false } });
  state = apply(state, nextChanges(state));
  assert.deepEqual(state.queue, ["b", "c", "a"]);
  state = apply(state, { result: { correct: true } });
  state = apply(state, nextChanges(state));
  assert.deepEqual(state.queue, ["c", "a"]);
  for (const _ of [1, 2]) {
    state = apply(state, { result: { correct: true } });
    state = apply(state, nextChanges(state));
  }
  assert.equal(state.done, true);
  assert.equal(initialState(config("review", [])).done, true);
});

test("a 409 keeps the stored level and marks the exercise answered", () => {
  let state = initialState(config("skill", [skill("a")], "a"));
  state = apply(state, exerciseChanges(state, exercise("a")));
  const error = {
    message: "Already answered.",
    status: 409,
    data: { level: "familiar", due: null },
  };
  state = apply(state, failureChanges(state, error));
  assert.equal(state.skills.get("a").level, "familiar");
  assert.deepEqual(state.result, { conflict: true });
  const unreadable = failureChanges(state, { message: "Cannot read", status: 400, column: 3 });
  assert.deepEqual(unreadable.error, { message: "Cannot read", column: 3 });
  assert.equal(unreadable.result, undefined);
});

test("an exercise that could not be fetched drops the shared seed for the next try", () => {
  const state = initialState(config("skill", [skill("a")], "a"), "?seed=5");
  const changes = failureChanges(state, { message: "No exercise", status: 400 });
  assert.equal(changes.seed, null);
  assert.deepEqual(exerciseRequest({ ...state, ...changes }), {});
});

test("due dates in words", () => {
  assert.equal(dueText(skill("a")), "No review planned");
  assert.equal(dueText(skill("a", { due: "2026-12-08" })), "Next review 2026-12-08");
  assert.equal(dueText(skill("a", { due: "2026-12-08", due_now: true })), "Review due now");
});

test("the answer sent is the choice for a choice exercise, else the trimmed text", () => {
  const state = { exercise: exercise("a"), choice: null };
  assert.equal(answerText(state, "  0.25 "), "0.25");
  assert.equal(answerText(state, "   "), null);
  const choosing = { exercise: exercise("a", { answer: { kind: "choice", choices: ["1", "2"] } }) };
  assert.equal(answerText({ ...choosing, choice: "2" }, "ignored"), "2");
  assert.equal(answerText({ ...choosing, choice: null }, "x"), null);
  const names = exercise("a", { answer: { kind: "expression", choices: null, names: ["a", "y"] } });
  assert.match(answerHelp(names), /: a, y;/);
});

test("the graph shows values, hides gradients but the loss's, and lights the asked edge", () => {
  const graph = {
    output: "z",
    nodes: [
      { id: "w", op: "input", parents: [], value: 2, grad: 3 },
      { id: "x", op: "input", parents: [], value: 3, grad: 2 },
      { id: "z", op: "mul", parents: ["w", "x"], value: 6, grad: 1 },
    ],
  };
  const scene = graphScene(graph, { node: "z", quantity: "local_grad", parent: "x" });
  assert.deepEqual(
    scene.nodes.map((n) => [n.value, n.grad]),
    [
      [2, "?"],
      [3, "?"],
      [6, 1],
    ],
  );
  assert.equal(scene.selected, "z");
  assert.deepEqual([...scene.signals.keys()], ["x>z#1"]);
  assert.equal(graphScene(graph, null).focused, "z");
});

test("a lesson's practice line counts proficient and mastered skills and due reviews", () => {
  const skills = [
    skill("a", { level: "proficient" }),
    skill("b", { level: "mastered", due_now: true }),
    skill("c", { level: "familiar" }),
    skill("d", { lesson: "other", level: "mastered" }),
  ];
  const progress = lessonProgress(skills, "l");
  assert.deepEqual(progress, { total: 3, strong: 2, due: 1, started: true });
  assert.equal(progressText(progress), "2 of 3 skills proficient or mastered; 1 review due.");
  assert.equal(progressText(lessonProgress([skill("a")], "l")), "1 skill to practise.");
  assert.equal(progressText(lessonProgress([], "l")), "");
});
