// Practice, the model: which skill comes next, what an exercise asks, what a reply changes, and
// the words the page says. No DOM and no fetch (tested with node --test tests/js/).

import { edgeKey } from "../graph/model.js";

const MAX_SEED = 2 ** 53 - 1;

/** The seed a shared address names (`?seed=N`), or null when it names none or a bad one. */
function seedFromSearch(search) {
  const text = new URLSearchParams(search).get("seed");
  if (text === null || !/^\d{1,16}$/.test(text)) return null;
  const seed = Number(text);
  return seed <= MAX_SEED ? seed : null;
}

/** The page's address for one exercise: the same path with `?seed=N`. */
function shareSearch(seed) {
  return `?seed=${seed}`;
}

/**
 * The state of a practice page from the server's config ({mode, skill, skills, levels, labels}):
 * one skill, or a mixed review that takes the due skills in turn.
 */
function initialState(config, search = "") {
  const skills = new Map(config.skills.map((s) => [s.id, s]));
  const queue = config.mode === "review" ? config.skills.map((s) => s.id) : [config.skill];
  return {
    mode: config.mode,
    skills,
    queue,
    labels: config.labels || {},
    levels: config.levels || [],
    seed: config.mode === "skill" ? seedFromSearch(search) : null,
    exercise: null,
    result: null,
    choice: null,
    count: 0,
    busy: false,
    error: null,
    announce: "",
    levelChange: "",
    done: queue.length === 0,
  };
}

/** The skill whose exercise is asked for next (or is on screen). */
const currentSkill = (state) => state.queue[0] ?? null;

/** The body of the request for a new exercise: the shared seed, only for the first one. */
function exerciseRequest(state) {
  return state.count === 0 && state.seed !== null ? { seed: state.seed } : {};
}

function withLevel(skills, id, reply) {
  const skill = skills.get(id);
  if (!skill) return skills;
  const next = new Map(skills);
  const dueNow = reply.due_now ?? (reply.level === skill.level ? skill.due_now : false);
  next.set(id, { ...skill, level: reply.level, due: reply.due, due_now: dueNow });
  return next;
}

/** A new exercise arrived: it is on screen, the last feedback goes, the level is refreshed. */
function exerciseChanges(state, exercise) {
  return {
    exercise,
    result: null,
    choice: null,
    error: null,
    busy: false,
    count: state.count + 1,
    announce: "",
    levelChange: "",
    skills: exercise.level ? withLevel(state.skills, exercise.skill, exercise) : state.skills,
  };
}

/**
 * What a level's change says aloud: "Level up: Familiar." after a right answer that lifted it,
 * "Level down: ..." when it fell, "Level: Attempted." for a first try; "" when it did not change.
 */
function levelAnnouncement(before, after, labels = {}, levels = [], correct = true) {
  if (!before || before === after) return "";
  const name = labels[after] || after;
  if (levels.indexOf(after) < levels.indexOf(before)) return `Level down: ${name}.`;
  return correct ? `Level up: ${name}.` : `Level: ${name}.`;
}

/** "Right." or "Not quite.", or "" when the grader's feedback already starts by saying so. */
function verdictHead(reply) {
  const head = reply.correct ? "Right." : "Not quite.";
  const said = String(reply.feedback || "")
    .toLowerCase()
    .startsWith(head.slice(0, 5).toLowerCase());
  return said ? "" : head;
}

/** The grade of the answer arrived: feedback and solution shown, the skill's level moved. */
function resultChanges(state, reply) {
  const id = state.exercise.skill;
  const before = reply.level_before ?? state.skills.get(id)?.level;
  const verdict = verdictHead(reply);
  const level = levelAnnouncement(before, reply.level, state.labels, state.levels, reply.correct);
  return {
    result: reply,
    busy: false,
    error: null,
    skills: withLevel(state.skills, id, reply),
    levelChange: level,
    announce: [verdict, reply.feedback, level].filter(Boolean).join(" "),
  };
}

/** A call failed: its message (and the column of an unreadable answer) is shown. */
function failureChanges(state, error) {
  const changes = { busy: false, error: { message: error.message, column: error.column ?? null } };
  // No exercise came: the next try asks for a random one, not the same failing seed.
  if (!state.exercise) changes.seed = null;
  // A second answer (another tab): that answer stands; the level it left is the stored one.
  if (error.status === 409 && error.data?.level && state.exercise) {
    changes.skills = withLevel(state.skills, state.exercise.skill, error.data);
    changes.result = { conflict: true };
  }
  changes.announce = error.message;
  return changes;
}

/**
 * Next: in a mixed review a skill answered right leaves the queue (its review is done) and one
 * answered wrong goes to the back, so the skills interleave; one skill just goes on.
 */
function nextChanges(state) {
  if (state.mode !== "review") return { exercise: null, result: null, choice: null };
  const [head, ...rest] = state.queue;
  const right = state.result?.correct === true;
  const queue = right ? rest : [...rest, head];
  return { queue, exercise: null, result: null, choice: null, done: queue.length === 0 };
}

/** When a skill's review falls due, in words. */
function dueText(skill) {
  if (!skill) return "";
  if (skill.due_now) return "Review due now";
  return skill.due ? `Next review ${skill.due}` : "No review planned";
}

/**
 * What the graph shows for an exercise: every forward value, every gradient hidden ("?") but the
 * loss's own 1, the node asked about selected and, for a local gradient or a signal, the edge
 * from its parent lit. `graph` is /api/graph's answer, `find` the exercise's.
 */
function graphScene(graph, find, focused = null) {
  const nodes = graph.nodes.map((n) => ({ ...n, grad: n.id === graph.output ? n.grad : "?" }));
  const signals = new Map();
  const asked = find && graph.nodes.find((n) => n.id === find.node);
  if (asked && find.parent) {
    for (const [slot, p] of asked.parents.entries())
      if (p === find.parent) signals.set(edgeKey(p, asked.id, slot), null);
  }
  return {
    nodes,
    selected: asked ? asked.id : null,
    current: null,
    focused: focused ?? (asked ? asked.id : graph.output),
    signals,
    incoming: new Map(),
    forward: new Set(),
    checks: null,
  };
}

/** What to type, by the kind of answer asked for. */
function answerHelp(exercise) {
  if (!exercise) return "";
  const kind = exercise.answer.kind;
  if (kind === "expression") {
    const list = exercise.answer.names || [];
    const names = list.length ? `: ${list.join(", ")}` : "";
    return `An expression in the exercise's names${names}; for example (a - y)*x. Press Enter to check.`;
  }
  if (kind === "number")
    return "A number (0.25, -1/4) or, for a vector, its numbers in brackets ([0.1, -0.2]). Press Enter to check.";
  return "";
}

/** The answer to send: the chosen value, or the text typed; null when there is none yet. */
function answerText(state, typed) {
  if (state.exercise?.answer.kind === "choice") return state.choice;
  const text = String(typed ?? "").trim();
  return text ? text : null;
}

/** How many of a lesson's skills stand at proficient or above, and how many are due now. */
function lessonProgress(skills, lesson) {
  const own = skills.filter((s) => s.lesson === lesson);
  const strong = own.filter((s) => s.level === "proficient" || s.level === "mastered").length;
  const due = own.filter((s) => s.due_now).length;
  return { total: own.length, strong, due, started: own.some((s) => s.level !== "new") };
}

/** The course page's words after "Practice:" for one lesson. */
function progressText({ total, strong, due, started }) {
  if (!total) return "";
  if (!started) return `${total} ${total === 1 ? "skill" : "skills"} to practise.`;
  const reviews = due ? `; ${due} ${due === 1 ? "review" : "reviews"} due` : "";
  return `${strong} of ${total} skills proficient or mastered${reviews}.`;
}

export {
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
};
