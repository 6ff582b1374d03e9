// Practice, the view: it only draws the model's state into the page's parts (found by their
// data-field) and hands the student's actions to the handlers. No fetch here.
import { element } from "../dom.js";
import { mount as watchFormulas } from "../formulas.js";
import { typeset, typesetNow } from "../katex-render.js";
import { answerHelp, currentSkill, dueText, shareSearch, verdictHead } from "./model.js";

const FIELDS = [
  "status",
  "skill-name",
  "level",
  "level-label",
  "due",
  "number",
  "prompt",
  "graph",
  "form",
  "typed",
  "help",
  "choices",
  "choice-list",
  "feedback",
  "solution",
  "explanation",
  "share",
];

/** Find the page's parts in `root` and wire the form; handlers = {onCheck(typed), onNext, onChoice}. */
function createView(root, handlers) {
  const v = Object.fromEntries(FIELDS.map((f) => [f, root.querySelector(`[data-field="${f}"]`)]));
  v.root = root;
  v.input = root.querySelector('[data-input="answer"]');
  v.check = root.querySelector('[data-action="check"]');
  v.next = root.querySelector('[data-action="next"]');
  v.heading = root.querySelector("#exercise-title");
  v.shown = { exercise: null, result: null };
  v.form?.addEventListener("submit", function onSubmit(event) {
    event.preventDefault();
    handlers.onCheck(v.input.value);
  });
  v.next?.addEventListener("click", function onNextClick(_event) {
    handlers.onNext();
  });
  v["choice-list"]?.addEventListener("change", function onChoiceChange(event) {
    if (event.target.name === "practice-choice") handlers.onChoice(event.target.value);
  });
  return v;
}

/**
 * Put the server's HTML (Markdown rendered, formulas still TeX) into `host` and typeset it: at
 * once when KaTeX is loaded (page.js loads it before it shows an exercise), else when it loads.
 * Wide display formulas then get their scroll box and tab stop.
 */
function showMath(host, html) {
  host.innerHTML = html;
  if (typesetNow(host) === 0) watchFormulas(host);
  else typeset(host).then(() => watchFormulas(host));
}

function drawLevel(v, state) {
  const skill = state.skills.get(currentSkill(state) ?? state.exercise?.skill);
  if (!skill || !v.level) return;
  v.status.hidden = false;
  v["skill-name"].textContent = state.mode === "review" ? skill.title : "";
  v.level.dataset.level = skill.level;
  v["level-label"].textContent = state.labels[skill.level] || skill.level;
  v.due.textContent = dueText(skill);
}

function drawChoices(v, exercise) {
  const list = v["choice-list"];
  list.replaceChildren();
  const html = exercise.answer.choices_html || exercise.answer.choices;
  exercise.answer.choices.forEach((value, i) => {
    const id = `practice-choice-${i}`;
    const row = element("div", { class: "practice-choice" });
    row.append(
      element("input", { type: "radio", name: "practice-choice", id, value }),
      element("label", { for: id }),
    );
    showMath(row.lastChild, html[i]);
    list.append(row);
  });
}

/** A new exercise on screen: its prompt, its answer field or choices, its share link. */
function drawExercise(v, state, onGraph) {
  const { exercise } = state;
  showMath(v.prompt, exercise.prompt_html);
  v.number.textContent = state.count;
  const choice = exercise.answer.kind === "choice";
  v.form.hidden = false;
  v.typed.hidden = choice;
  v.input.disabled = choice;
  v.input.value = "";
  v.help.textContent = answerHelp(exercise);
  v.choices.hidden = !choice;
  if (choice) drawChoices(v, exercise);
  v.graph.hidden = !exercise.graph;
  if (exercise.graph) onGraph(v.graph, exercise);
  if (state.mode === "skill") {
    v.share.hidden = false;
    v.share.href = shareSearch(exercise.seed);
  }
}

/** After the grade, a choice row says (in words as well as colour) if it is right or was picked. */
function markChoice(radio, result) {
  const row = radio.closest(".practice-choice");
  const right = Boolean(result) && radio.value === result.expected;
  const wrong = Boolean(result) && !right && radio.checked;
  row.classList.toggle("is-right", right);
  row.classList.toggle("is-wrong", wrong);
  row.querySelector(".practice-tag")?.remove();
  if (right || wrong)
    row.append(element("span", { class: "practice-tag" }, right ? "right answer" : "your answer"));
}

/** The grade: feedback (said in the live region), the worked solution, Next. */
function drawResult(v, state) {
  const { result, error } = state;
  v.feedback.replaceChildren();
  if (error) {
    const where = error.column ? ` (at character ${error.column})` : "";
    v.feedback.append(element("p", { class: "practice-verdict is-error" }, error.message + where));
  } else if (result && !result.conflict) {
    const p = element("p", {
      class: `practice-verdict ${result.correct ? "is-right" : "is-wrong"}`,
      "data-note": result.note,
    });
    const head = verdictHead(result);
    if (head) p.append(element("b", {}, `${head} `));
    p.append(result.feedback);
    v.feedback.append(p);
    if (state.levelChange)
      v.feedback.append(element("p", { class: "practice-level-change" }, state.levelChange));
  }
  const answered = Boolean(result);
  v.solution.hidden = !(result && !result.conflict);
  if (result && !result.conflict) {
    showMath(v.explanation, result.explanation_html);
  }
  v.check.disabled = answered || state.busy;
  v.input.readOnly = answered;
  for (const radio of v.choices.querySelectorAll("input")) {
    radio.disabled = answered;
    markChoice(radio, result && !result.conflict ? result : null);
  }
  // Without an exercise (it could not be fetched), Next is the way to try again.
  v.next.hidden = !(answered || (error && !state.exercise));
  if (error && !state.exercise)
    v.prompt.replaceChildren(element("p", { class: "practice-fallback" }, "No exercise yet."));
}

/** Draw `state`; `onGraph(host, exercise)` draws an exercise's graph when a new one arrives. */
function drawView(v, state, onGraph) {
  drawLevel(v, state);
  if (!v.prompt) return;
  if (state.done) {
    v.prompt.replaceChildren(
      element("p", { class: "practice-done" }, "All caught up: every review that was due is done."),
    );
    v.form.hidden = true;
    v.graph.hidden = true;
    v.next.hidden = true;
    v.solution.hidden = true;
    return;
  }
  if (state.exercise && state.exercise !== v.shown.exercise) {
    drawExercise(v, state, onGraph);
  }
  if (state.result !== v.shown.result || state.error || state.exercise !== v.shown.exercise)
    drawResult(v, state);
  v.shown = { exercise: state.exercise, result: state.result };
  v.root.toggleAttribute("aria-busy", state.busy);
}

export { createView, drawView };
