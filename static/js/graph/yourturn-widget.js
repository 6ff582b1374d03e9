// Your turn, the wiring: the switch, Check and Show me go to the server (POST /api/graph/answer),
// the progress of a graph comes from POST /api/graph/progress whenever the graph or its values
// change, and every answer changes the widget's one state through its set(). The model
// (yourturn.js) decides, the view (yourturn-view.js) draws.
import { request } from "../api.js";
import { nodeTex } from "./format.js";
import { katexReady, texHtml } from "./tex.js";
import {
  attemptsAt,
  failureChanges,
  givenFor,
  graphChanges,
  progressChanges,
  progressText,
  replyChanges,
  statusOf,
  stepKey,
  stepsAt,
  stepTex,
  stepWords,
  valuesAt,
} from "./yourturn.js";
import { createTurnView, drawTurnView, resetTyped } from "./yourturn-view.js";

/** Your turn on one graph widget; `get()` reads the widget's state, `set()` changes it. */
function createTurn(element, dom, { get, set, select }) {
  const update = (changes) => set({ turn: { ...get().turn, ...changes } });
  const view = createTurnView(dom, { onCheck, onShow });
  let progressSeq = 0;

  function onToggle(on) {
    update({ on });
    element.classList.toggle("is-your-turn", on);
    if (on) loadProgress();
    const { ask } = get().turn;
    if (on && !get().selected && ask && get().graph) select(ask.node);
  }

  /** The found and shown steps of the graph on screen (once per graph and values). */
  async function loadProgress() {
    const { body, turn } = get();
    const key = body && JSON.stringify(body);
    if (!key || turn.graphKey === key) return;
    update(graphChanges(key));
    const seq = ++progressSeq;
    try {
      const progress = await request("graph/progress", { body });
      if (seq === progressSeq && get().turn.graphKey === key) update(progressChanges(progress));
    } catch (error) {
      if (seq === progressSeq)
        update({ error: `Your progress could not be read: ${error.message}` });
    }
  }

  async function send(step, extra, answer) {
    const { body, graph, turn } = get();
    const key = stepKey(step);
    if (!body || turn.busy) return;
    update({ busy: key });
    const graphKey = turn.graphKey;
    const sent = { ...body, ...step, ...extra };
    if (!step.parent) delete sent.parent;
    try {
      const reply = await request("graph/answer", { body: sent });
      if (get().turn.graphKey !== graphKey) return; // the graph changed meanwhile
      resetTyped(view, key, reply.note === "shown");
      update(replyChanges(get().turn, graph, step, answer, reply));
    } catch (error) {
      if (get().turn.graphKey !== graphKey) return;
      resetTyped(view, key);
      update(failureChanges(get().turn, graph, step, answer, error));
    }
  }

  function onCheck(step, answer) {
    if (!answer.trim()) {
      const { graph } = get();
      const error = { message: "Type an answer first: a number or an expression." };
      return update(failureChanges(get().turn, graph, step, answer, error));
    }
    send(step, { answer, given: givenFor(get().turn, step) }, answer);
  }

  function onShow(step) {
    send(step, { reveal: true }, "");
  }

  /** A new graph answer arrived: its progress; the lesson's first question opens. */
  function accepted(first) {
    const { turn, graph } = get();
    element.classList.toggle("is-your-turn", turn.on);
    if (!turn.on) return;
    loadProgress();
    if (first && turn.ask && graph.nodes.some((n) => n.id === turn.ask.node)) select(turn.ask.node);
  }

  /** The model the view draws: the selected node's steps with their status and last reply. */
  function model() {
    const { turn, graph, selected } = get();
    if (!turn.on || !graph) return { on: turn.on, items: [], built: "", progress: "" };
    const node = graph.nodes.find((n) => n.id === selected);
    const steps = stepsAt(graph, node);
    const items = steps.map((step) => {
      const key = stepKey(step);
      const result = turn.results[key];
      return {
        key,
        step,
        tex: stepTex(graph, step),
        words: stepWords(step),
        status: statusOf(turn, step),
        result,
        busy: turn.busy === key,
        attempts: attemptsAt(turn, key), // stored ones too: Show me after a reload
      };
    });
    const title = node
      ? node.op === "const"
        ? ""
        : `Node ${texHtml(nodeTex(node))} (${node.op}): ${steps.length > 1 ? "its gradient, then each input's local gradient and signal." : "its gradient."}`
      : "";
    return {
      on: true,
      built: `${katexReady()}|${turn.graphKey}|${JSON.stringify(graph.nodes.map((n) => [n.id, n.parents]))}|${node?.id || ""}`,
      title,
      values: node && node.op !== "const" ? valuesAt(graph, node) : [],
      items,
      progress: progressText(graph, turn),
      announce: turn.announce,
      error: turn.error,
    };
  }

  return { accepted, draw: () => drawTurnView(view, model()), toggle: onToggle };
}

export { createTurn };
