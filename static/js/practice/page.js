// Practice, the entry module of /practice/<skill> and the mixed review: it keeps one state,
// changes it only through the model's functions and one set(), and calls the API.
import { request } from "../api.js";
import { loadKatex } from "../katex-render.js";
import { createGraph } from "./graph.js";
import {
  answerText,
  currentSkill,
  exerciseChanges,
  exerciseRequest,
  failureChanges,
  initialState,
  nextChanges,
  resultChanges,
  shareSearch,
} from "./model.js";
import { createView, drawView } from "./view.js";

const root = document.querySelector("[data-practice]");
const path = (skill) => `practice/${encodeURIComponent(skill)}/exercise`;

function start(element) {
  let state = initialState(JSON.parse(element.dataset.practice), window.location.search);
  let graph = null;
  const view = createView(element, { onCheck: check, onNext: next, onChoice: choose });

  function set(changes) {
    state = { ...state, ...changes };
    drawView(view, state, showGraph);
  }

  function showGraph(host, exercise) {
    graph ??= createGraph(host);
    request("graph", { body: exercise.graph })
      .then((data) => {
        if (state.exercise === exercise) graph.draw(data, exercise.find);
      })
      .catch((error) => set(failureChanges(state, error)));
  }

  async function load({ focus = false } = {}) {
    const skill = currentSkill(state);
    if (!skill || state.done) return;
    set({ busy: true });
    try {
      // KaTeX loads (the first time) while the exercise is fetched: the exercise is shown
      // typeset, never as its TeX source first. Without KaTeX it shows with the source.
      const [exercise] = await Promise.all([
        request(path(skill), { body: exerciseRequest(state) }),
        loadKatex().catch(() => null),
      ]);
      set(exerciseChanges(state, exercise));
      if (state.mode === "skill") window.history.replaceState(null, "", shareSearch(exercise.seed));
      if (focus) view.heading.focus();
    } catch (error) {
      set(failureChanges(state, error));
    }
  }

  async function check(typed) {
    const { exercise } = state;
    const answer = answerText(state, typed);
    if (!exercise || state.result || state.busy) return;
    if (answer === null) {
      set({ error: { message: "Type an answer first (or choose one).", column: null } });
      return;
    }
    set({ busy: true, error: null });
    try {
      const reply = await request(`${path(exercise.skill)}/${exercise.id}/answer`, {
        body: { answer },
      });
      set(resultChanges(state, reply));
      view.next.focus();
    } catch (error) {
      set(failureChanges(state, error));
      if (!state.result)
        (exercise.answer.kind === "choice"
          ? view.choices.querySelector("input")
          : view.input
        )?.focus();
    }
  }

  function choose(value) {
    set({ choice: value, error: null });
  }

  function next() {
    set(nextChanges(state));
    load({ focus: true });
  }

  drawView(view, state, showGraph);
  load();
}

if (root) start(root);
