// The end-of-lesson quiz: one question at a time, feedback right after each answer, a score at
// the end. The server keeps the progress, so a reload comes back to the same place.
import { loadQuiz, sendAnswer, startOver } from "./api.js";
import { buildFrame, buildQuestion, element, fillResult, fillSummary } from "./view.js";

const SUMMARY = "summary";
let mounted = 0;

function readSavedView(key) {
  try {
    return JSON.parse(sessionStorage.getItem(key) || "null");
  } catch (_error) {
    return null; // storage may be off or hold something else: the server's progress decides
  }
}

function saveView(key, value) {
  try {
    sessionStorage.setItem(key, JSON.stringify(value));
  } catch (_error) {
    // Without storage a reload shows the next unanswered question, which is fine too.
  }
}

/** The words on an answered choice: words, not colour alone, say which answer was right. */
function tagText(chosen, right) {
  if (right) return chosen ? "Your answer: correct" : "Correct answer";
  return chosen ? "Your answer" : "";
}

/** Mount the quiz of the element's lesson (`data-lesson`) on `root`, replacing its fallback. */
function mount(root, _config) {
  mounted += 1;
  const uid = `quiz-${mounted}`;
  const viewKey = `quiz-view:${root.dataset.lesson}`;
  // Everything the screen shows follows from this one object; draw() makes the page match it.
  const state = {
    lesson: root.dataset.lesson,
    questions: [],
    progress: null,
    view: 0, // the index of the question on screen, or SUMMARY
    busy: false,
    message: "",
    reviewing: false, // a question opened from the summary: its Next button goes back there
  };
  let parts = null;
  let forms = [];
  let builtRound = null;
  let focusNext = null;

  function answerOf(index) {
    const question = state.questions[index];
    return question ? state.progress.answered[question.id] : undefined;
  }

  /** Where to be after a load: the place saved for this round if it still makes sense. */
  function startingView() {
    const { current, round } = state.progress;
    const saved = readSavedView(viewKey);
    if (saved && saved.round === round) {
      if (saved.view === SUMMARY && current === null) return SUMMARY;
      if (Number.isInteger(saved.view) && (answerOf(saved.view) || saved.view === current)) {
        return saved.view;
      }
    }
    return current === null ? SUMMARY : current;
  }

  function setView(view) {
    state.view = view;
    saveView(viewKey, { round: state.progress.round, view });
  }

  /** Take the server's questions and progress; a new round builds the questions afresh. */
  function accept(data) {
    state.questions = data.questions;
    state.progress = data.progress;
    if (builtRound !== data.progress.round) {
      forms = data.questions.map((question, index) => {
        const built = buildQuestion(question, index, data.questions.length, uid);
        built.form.addEventListener("submit", (event) => onCheck(event, index));
        built.form.addEventListener("change", onPick);
        built.next.addEventListener("click", () => onNext(index));
        return built;
      });
      parts.questions.replaceChildren(...forms.map((built) => built.form));
      builtRound = data.progress.round;
    }
  }

  function draw() {
    parts.message.textContent = state.message;
    forms.forEach((built, index) => {
      const answer = answerOf(index);
      built.form.hidden = state.view !== index;
      for (const [id, choice] of built.choices) {
        const chosen = Boolean(answer) && id === answer.choice;
        const right = Boolean(answer) && id === answer.correct_choice;
        choice.input.disabled = Boolean(answer);
        if (answer) choice.input.checked = chosen;
        choice.row.classList.toggle("is-chosen", chosen);
        choice.row.classList.toggle("is-right", right);
        choice.row.classList.toggle("is-wrong", chosen && !right);
        choice.tag.textContent = tagText(chosen, right);
      }
      built.form.classList.toggle("is-answered", Boolean(answer));
      built.check.hidden = Boolean(answer);
      built.check.textContent = state.busy && state.view === index ? "Checking…" : "Check";
      built.check.setAttribute("aria-disabled", String(state.busy));
      built.next.hidden = !answer;
      const last = index + 1 >= forms.length;
      if (state.reviewing) built.next.textContent = "Back to your score";
      else built.next.textContent = last ? "See your score" : "Next question";
      const filled = answer ? `${answer.choice}` : "";
      if (built.filled !== filled) {
        if (answer) fillResult(built, answer);
        else built.result.replaceChildren();
        built.filled = filled;
      }
    });
    const summary = parts.summary;
    summary.section.hidden = state.view !== SUMMARY;
    if (state.view === SUMMARY) fillSummary(summary, state.questions, state.progress);
    summary.again.setAttribute("aria-disabled", String(state.busy));
    if (focusNext) {
      focusNext.focus();
      focusNext = null;
    }
  }

  function onPick(_event) {
    if (!state.message) return;
    state.message = "";
    draw();
  }

  async function onCheck(event, index) {
    event.preventDefault();
    if (state.busy || answerOf(index)) return;
    const built = forms[index];
    const picked = built.form.querySelector("input[type=radio]:checked");
    if (!picked) {
      state.message = "Pick an answer first, then press Check.";
      focusNext = built.choices.values().next().value.input;
      draw();
      return;
    }
    state.busy = true;
    state.message = "";
    draw();
    try {
      const reply = await sendAnswer(state.lesson, state.questions[index].id, picked.value);
      if (reply.progress.round !== builtRound) {
        // Another tab started over meanwhile: redraw the new round from the server.
        state.busy = false;
        await load();
        return;
      }
      state.progress = reply.progress;
      focusNext = built.next;
    } catch (error) {
      if (error.status === 409 && error.data?.progress?.round === builtRound) {
        // Answered already (in another tab, say): the server sends the answer it recorded.
        state.progress = error.data.progress;
        state.message = error.message;
        focusNext = built.next;
      } else {
        state.message = `Your answer was not saved. ${error.message}`;
        focusNext = picked;
      }
    }
    state.busy = false;
    draw();
  }

  function onNext(index) {
    state.message = "";
    const back = state.reviewing || index + 1 >= forms.length;
    state.reviewing = false;
    setView(back ? SUMMARY : index + 1);
    focusNext = state.view === SUMMARY ? parts.summary.heading : forms[state.view].legend;
    draw();
  }

  /** A missed question's "See the explanation": show it again, its explanation in view. */
  function onReview(event) {
    const button = event.target.closest("[data-review]");
    if (!button) return;
    const index = state.questions.findIndex((q) => q.id === button.dataset.review);
    if (index < 0 || !answerOf(index)) return;
    state.reviewing = true;
    state.message = "";
    setView(index);
    focusNext = forms[index].result;
    draw();
  }

  async function onAgain(_event) {
    if (state.busy) return;
    state.busy = true;
    state.message = "";
    draw();
    try {
      accept(await startOver(state.lesson));
      state.reviewing = false;
      setView(0);
      focusNext = forms[0].legend;
    } catch (error) {
      state.message = `The quiz could not start over. ${error.message}`;
    }
    state.busy = false;
    draw();
  }

  async function load() {
    let data;
    try {
      data = await loadQuiz(state.lesson);
    } catch (error) {
      showLoadFailure(error);
      return;
    }
    if (!parts) {
      parts = buildFrame(root, uid);
      parts.summary.again.addEventListener("click", onAgain);
      parts.summary.missed.addEventListener("click", onReview);
    }
    accept(data);
    state.view = startingView();
    root.replaceChildren(parts.frame);
    root.classList.add("is-ready");
    draw();
  }

  function showLoadFailure(error) {
    const note = element("div", { class: "quiz-load-error", role: "alert" });
    const text = element("p", {}, `The quiz could not load. ${error.message}`);
    const retry = element(
      "button",
      { type: "button", class: "quiz-button" },
      "Load the quiz again",
    );
    retry.addEventListener("click", () => {
      note.remove();
      load();
    });
    note.append(text, retry);
    root.append(note);
  }

  load();
}

export { mount };
