// The interactive backprop graph. mount() only wires: the model (model.js) decides,
// the views draw, and the state changes in one place, set(), which calls the one draw().
// Events on the element, for the page: graph:ready and graph:values-changed {values, preset,
// program} (the first graph; a student's change), graph:panel-drawn {node, ms, request, draw},
// graph:descent-step {step, parameters, values, loss, eta}; it listens to graph:set-values
// {values} (inputs set from outside; no event echoes back).
import { ApiError, request } from "../api.js";
import { createControls, debounce, drawControls } from "./controls.js";
import {
  acceptChanges,
  checkLine,
  controlInputs,
  descentValues,
  initialState,
  inputsOf,
  known,
  lessonCheckParts,
  lossOf,
  newInputValue,
  parametersOf,
  playgroundHref,
  rangeMessage,
  reachChanges,
  same,
  scene,
  stepChanges,
} from "./model.js";
import { createPanel, drawPanel } from "./panel.js";
import { katexReady, loadKatex, partsHtml } from "./tex.js";
import { buildView, createView, drawView, focusNode } from "./view.js";

// Your turn (yourturn.js, yourturn-widget.js, yourturn-view.js and its stylesheet) loads the
// first time a student switches it on, or at once where the lesson opens a graph in it.
const TURN_CSS = new URL("../../css/yourturn.css", import.meta.url).href;
const TURN_FAILED = "Your turn could not load. Reload the page to try again.";

// The engine's three endpoints: presets, a whole graph, and one node with its local gradients.
const fetchPresets = async () => (await request("presets")).presets;
const fetchGraph = (body) => request("graph", { body });
const fetchNode = (body, node) => request("graph/node", { body: { ...body, node } });
let uid = 0;
const PARTS = [
  "toolbar",
  "description",
  "editor",
  "canvas",
  "status",
  "steps",
  "narration",
  "lesson-check",
];

function skeleton(element, playground) {
  element.classList.add("graph-widget");
  uid += 1;
  element.insertAdjacentHTML(
    "beforeend",
    `<div class="graph-toolbar"><label class="graph-turn-switch" for="graph-your-turn-${uid}"><input type="checkbox" role="switch" id="graph-your-turn-${uid}" data-action="your-turn"> Your turn</label></div><p class="graph-description"></p>${playground ? '<div class="graph-editor"></div>' : ""}
<p class="graph-legend"><span><i class="swatch is-value"></i><b class="is-value">val</b> value (forward)</span>
<span><i class="swatch is-grad"></i><b class="is-grad">grad</b> gradient ∂L/∂node (backward)</span> <span><b>—</b> not computed yet</span></p>
<div class="graph-canvas"></div><details class="graph-keys"><summary>Keyboard</summary><p id="graph-keys-${uid}">Arrows move between nodes, Home and End go to the first input and the loss, Enter or Space opens one; F, B, P, R step and play.</p></details>
<div class="graph-status" role="alert"></div><div class="graph-steps"></div><p class="graph-narration" aria-live="polite"></p><p class="graph-lesson-check"></p>
<div class="graph-side"><section class="graph-panel"></section><div><fieldset class="graph-inputs"></fieldset><div class="graph-check"></div><ul class="graph-check-reasons"></ul></div></div>
<section class="graph-descent" hidden></section>`,
  );
  const names = [...PARTS, "panel", "inputs", "check", "check-reasons", "descent"];
  const dom = Object.fromEntries(names.map((n) => [n, element.querySelector(`.graph-${n}`)]));
  dom.turnSwitch = dom.toolbar.querySelector('[data-action="your-turn"]');
  return dom;
}

/** Mount the widget on `element` ([data-widget="graph"]); `config` is the server's JSON config. */
async function mount(element, config = {}) {
  const playground = element.dataset.mode === "playground";
  // The program editor and the URL state: only the playground page loads them.
  const pg = playground && (await import("./playground.js"));
  let state = initialState({ presetId: element.dataset.preset || "neuron", playground });
  const dom = skeleton(element, playground);
  const soon = debounce(recompute, 120);
  const later = debounce(recompute, 350); // after typing in the program
  const emit = (name, detail) =>
    element.dispatchEvent(new CustomEvent(`graph:${name}`, { detail }));
  let [graphSeq, nodeSeq, timer] = [0, 0, 0];
  const html = new Map(); // what each text part shows, so live regions change only on change

  /** The one place the state changes; every change is drawn. */
  function set(changes) {
    state = { ...state, ...changes };
    draw();
  }

  const view = createView(dom.canvas, {
    onActivate: select,
    onMove: (id) => {
      set({ focused: id });
      focusNode(view, id);
    },
    onResize: () => draw(),
  });
  view.svg.setAttribute("aria-label", "Computation graph");
  view.svg.setAttribute("aria-describedby", `graph-keys-${uid}`);
  const panel = createPanel(dom.panel);
  let [turn, turnLoading] = [null, null]; // Your turn, once loaded: {accepted, draw, toggle, scene}
  dom.turnSwitch.addEventListener("change", () => switchTurn(dom.turnSwitch.checked));
  const controls = createControls(dom, {
    onPreset: setPreset,
    onValue: setValue,
    onStep: step,
    onCheck: (on) => set({ showCheck: on }),
  });
  let [descent, descentLoading] = [null, null]; // the descent controls, once loaded
  const editor =
    playground &&
    pg.createEditor(dom.editor, {
      onProgram: (text) => {
        set({ program: text, presetId: null }); // the menu no longer names a preset
        later(true);
      },
    });
  const link =
    !playground && config.playground && dom.toolbar.appendChild(document.createElement("a"));
  if (link) {
    link.className = "graph-playground-link";
    link.textContent = "Open in the playground";
  }

  /** The request for the current inputs: a preset, or the program with its guessed inputs. */
  function requestBody(values) {
    if (!playground) return { preset: state.presetId, values: { ...values } };
    const guessed = pg.guessInputs(state.program);
    const sent = {};
    for (const [i, k] of guessed.entries()) sent[k] = values[k] ?? newInputValue(i);
    return { program: state.program, values: sent };
  }

  async function recompute(fromUser = false) {
    soon.cancel();
    later.cancel();
    const body = requestBody(state.values);
    const seq = ++graphSeq;
    try {
      const data = await fetchGraph(body);
      if (seq === graphSeq) accept(data, body, fromUser);
    } catch (error) {
      if (seq === graphSeq) set({ error });
    }
  }

  function accept(data, body, fromUser) {
    const first = !state.graph;
    const changes = acceptChanges(state, data, body);
    if ("cursor" in changes) clearTimeout(timer);
    element.querySelector(".widget-fallback")?.setAttribute("hidden", "");
    set(changes);
    if (playground) pg.writeUrlState(state.program, state.values);
    if (state.selected) load(state.selected, performance.now());
    const detail = {
      values: { ...state.values },
      preset: playground ? null : state.presetId,
      program: state.program || null,
    };
    turn?.accepted(first);
    if (first) emit("ready", detail);
    if (fromUser) emit("values-changed", detail);
  }

  async function load(id, started) {
    const seq = ++nodeSeq;
    try {
      const data = await fetchNode(state.body, id);
      const answered = performance.now();
      if (seq !== nodeSeq || state.selected !== id) return;
      // Never draw an answer to another question (a cache mixing requests up, say).
      if (data.node !== id)
        throw new ApiError(`The server answered about ${data.node}, not ${id}.`);
      set({ details: data, error: null });
      const drawn = performance.now();
      emit("panel-drawn", {
        node: id,
        ms: drawn - started,
        request: answered - started,
        draw: drawn - answered,
      });
    } catch (error) {
      if (seq === nodeSeq) set({ error });
    }
  }

  function select(id) {
    load(id, performance.now()); // ask first, draw while the engine answers
    if (!katexReady()) typeset();
    const details = state.selected === id ? state.details : null;
    set({ selected: id, focused: id, current: null, details });
  }

  function setPreset(id, fromUser = true) {
    const preset = state.presets.find((p) => p.id === id);
    clearTimeout(timer);
    const changes = {
      presetId: id,
      selected: null,
      details: null,
      playing: false,
      values: {},
      refused: {},
    };
    if (playground)
      Object.assign(changes, { program: preset.program, values: structuredClone(preset.values) });
    set(changes);
    recompute(fromUser);
  }

  /** A value typed or slid by the student: refused in words when outside the input's range. */
  function setValue(name, value) {
    const node = inputsOf(state.graph).find((n) => n.id === name);
    const refused = { ...state.refused };
    const why = rangeMessage(name, value, node?.range);
    if (why) return set({ refused: { ...refused, [name]: why } });
    delete refused[name];
    set({ values: { ...state.values, [name]: value }, refused });
    soon(true);
  }

  function setValues(event) {
    const inputs = inputsOf(state.graph).map((n) => n.id);
    const changes = Object.entries(event.detail?.values || {}).filter(
      ([k, v]) => inputs.includes(k) && !same(state.values[k], v),
    );
    if (!changes.length) return;
    set({ values: { ...state.values, ...Object.fromEntries(changes) } });
    soon(false);
  }

  // Stepping: n forward steps in topological order, then n backward steps in reverse.
  function step(action) {
    if (!state.graph) return;
    clearTimeout(timer);
    set(stepChanges(state, action));
    if (state.playing) timer = setTimeout(play, 450);
  }

  function play() {
    set(reachChanges(state, state.cursor + 1, true));
    if (state.playing) timer = setTimeout(play, 900);
  }

  /** Gradient descent: w ← w − η·∂L/∂w on every parameter, each step through the engine. */
  async function descend() {
    if (!state.graph || state.descending) return;
    const parameters = parametersOf(state);
    set({ descending: true, cursor: null, current: null, playing: false });
    clearTimeout(timer);
    for (let i = 0; i < state.descentSteps; i += 1) {
      const before = lossOf(state.graph);
      const values = descentValues(state, parameters, state.learningRate);
      const body = requestBody(values);
      const seq = ++graphSeq; // an answer to an older request is not drawn over this one
      let data;
      try {
        data = await fetchGraph(body);
      } catch (error) {
        set({ error, descending: false });
        return;
      }
      if (seq !== graphSeq) break;
      set({ values });
      accept(data, body, true);
      const entry = { step: state.descent.length + 1, before, after: lossOf(data) };
      set({ descent: [...state.descent, entry] });
      const moved = Object.fromEntries(parameters.map((p) => [p, values[p]]));
      emit("descent-step", {
        step: entry.step,
        parameters: moved,
        values: { ...values },
        loss: entry.after,
        eta: state.learningRate,
      });
    }
    set({ descending: false });
  }

  /** Load the descent controls (descent.js) once, the first time they would show. */
  function loadDescent() {
    descentLoading ||= import("./descent.js").then((module) => {
      const handlers = {
        onDescent: descend,
        onRate: (eta) => set({ learningRate: eta }),
        onSteps: (n) => set({ descentSteps: n }),
      };
      descent = { parts: module.createDescent(dom.descent, handlers), draw: module.drawDescent };
      draw();
    });
    descentLoading.catch(() => {}); // should it fail, the section stays hidden
  }

  /** Load Your turn once: its modules and its stylesheet (applied before anything is drawn). */
  function loadTurn() {
    turnLoading ||= Promise.all([
      import("./yourturn.js"),
      import("./yourturn-widget.js"),
      stylesheet(TURN_CSS),
    ]).then(([model, wiring]) => {
      set({ turn: model.initialTurn(element.dataset) });
      const wired = wiring.createTurn(element, dom, { get: () => state, set, select });
      turn = { ...wired, scene: model.turnScene };
      draw();
    });
    return turnLoading;
  }

  async function switchTurn(on) {
    try {
      await loadTurn();
    } catch (_error) {
      turnLoading = null; // the next switch tries again
      dom.turnSwitch.checked = false;
      return set({ error: { message: TURN_FAILED } });
    }
    turn.toggle(on);
  }

  /** Set a text part's HTML (formulas typeset) only when it changed: live regions stay quiet. */
  function show(name, content) {
    if (html.get(name) === content) return;
    html.set(name, content);
    dom[name].innerHTML = content;
  }

  /** The one place that turns the state into what is on screen. */
  function draw() {
    const e = state.error;
    // The server's sentence as it is; in the playground an error in the program shows at its line.
    const inEditor = editor && e?.kind === "input" && (e.line || state.program);
    const kept = state.graph ? " The last good graph stays on screen." : "";
    dom.status.textContent = e && !inEditor ? `${e.message}${kept}` : "";
    if (editor) pg.drawEditor(editor, { program: state.program, error: inEditor && e });
    if (!state.graph) return;
    const { nodes } = state.graph;
    buildView(view, nodes, state.graph.output);
    drawView(view, turn ? turn.scene(scene(state), state.turn) : scene(state));
    turn?.draw();
    const node = state.selected && nodes.find((n) => n.id === state.selected);
    const check = node && state.graph.check.find((r) => r.input === node.id);
    drawPanel(panel, {
      node,
      details: state.details?.node === node?.id && state.details,
      known: node && known(state.graph, state.cursor, node),
      nodes: new Map(nodes.map((n) => [n.id, n])),
      check: check && checkLine(check),
    });
    drawControls(controls, {
      presets: state.presets,
      presetId: state.presetId,
      own: playground && !state.presetId,
      inputs: controlInputs(state),
      steps: { cursor: state.cursor, total: 2 * nodes.length, playing: state.playing },
      check: state.showCheck,
    });
    // Not while Your turn hides it: a student who never leaves Your turn never loads it.
    if (!descent && !state.turn?.on && parametersOf(state).length) loadDescent();
    descent?.draw(descent.parts, {
      parameters: parametersOf(state),
      rate: state.learningRate,
      steps: state.descentSteps,
      log: state.descent,
      busy: Boolean(state.descending),
    });
    show("narration", partsHtml(state.narration));
    const w = nodes.find((n) => n.id === "w");
    const lesson = !playground && state.presetId === "neuron";
    show(
      "lesson-check",
      lesson
        ? partsHtml(lessonCheckParts(state.graph, w && known(state.graph, state.cursor, w).grad))
        : "",
    );
    const reasons = state.showCheck ? state.graph.check.map(checkLine).filter((c) => c.reason) : [];
    const inputs = state.showCheck ? state.graph.check.filter((r) => checkLine(r).reason) : [];
    show(
      "check-reasons",
      reasons
        .map(
          (c, i) =>
            `<li data-input="${inputs[i].input}" data-verdict="${c.verdict}">${inputs[i].input}: ${c.reason}</li>`,
        )
        .join(""),
    );
    const preset = state.presets.find((p) => p.id === state.presetId);
    // What the example shows, in the engine's words (the fork's "its gradient is the sum").
    dom.description.textContent = preset?.description || "";
    if (link && preset) link.href = playgroundHref(config.playground, preset.program, state.values);
  }

  element.addEventListener("keydown", (event) => {
    const action = { f: "forward", b: "backward", p: "play", r: "reset" }[event.key.toLowerCase()];
    const typing = event.target.closest("input, textarea, select");
    if (!action || event.altKey || event.ctrlKey || event.metaKey || typing) return;
    event.preventDefault();
    step(action);
  });
  element.addEventListener("graph:set-values", setValues);
  // KaTeX loads when the student comes to the widget, so the first panel is typeset at once.
  // Should it fail to load, every formula keeps showing its plain reading.
  const typeset = () =>
    loadKatex()
      .then(() => draw())
      .catch(() => {});
  for (const name of ["pointerover", "focusin", "touchstart"])
    element.addEventListener(name, typeset, { once: true, passive: true });

  // The lesson asks for its preset; the playground reads its URL, else opens a preset.
  (async () => {
    const saved = playground && pg.readUrlState();
    if (saved) set({ ...saved, presetId: null });
    // A graph that opens in Your turn shows no gradient before Your turn can hide it.
    if (element.dataset.mode === "yourturn") await switchTurn(true);
    if (saved || !playground) recompute();
    try {
      set({ presets: await fetchPresets() });
    } catch (error) {
      if (!state.graph) set({ error });
    }
    // A program the student began typing while the presets loaded is theirs: keep it.
    const preset =
      !saved &&
      playground &&
      !state.program &&
      (state.presets.find((p) => p.id === state.presetId) || state.presets[0]);
    if (preset) setPreset(preset.id, false);
  })();
  draw();
  return element;
}

/** Add a stylesheet to the page once; resolves when it applies. */
function stylesheet(href) {
  const present = document.querySelector(`link[href="${href}"]`);
  if (present) return present.sheet ? Promise.resolve() : once(present);
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = href;
  document.head.append(link);
  return once(link);
}

const once = (link) =>
  new Promise((resolve, reject) => {
    link.addEventListener("load", resolve, { once: true });
    link.addEventListener("error", reject, { once: true });
  });

export { mount };
