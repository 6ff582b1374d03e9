// Your turn, the view: the switch, and for the selected node one form per step (a text input,
// how the answer was read, Check, Show me, the feedback and the hint), the progress line and a
// live region. It builds a node's forms once (typed text survives every draw) and only draws the
// model it is given; the wiring (yourturn-widget.js) talks to the server.
import { available, element as make, setUnavailable } from "../dom.js";
import { esc, texHtml } from "./tex.js";
import { valueText } from "./yourturn.js";

let uid = 0;

/**
 * The Your-turn section after `dom.panel`; the switch is the widget's (`dom.turnSwitch`, there
 * before this module loads). handlers = {onCheck, onShow}.
 */
function createTurnView(dom, handlers) {
  uid += 1;
  const toggle = dom.turnSwitch;
  const section = make("section", {
    class: "graph-turn",
    "aria-labelledby": `graph-turn-h-${uid}`,
  });
  section.innerHTML = `<h3 class="graph-turn-title" id="graph-turn-h-${uid}">Your turn: the backward pass by hand</h3>
<p class="graph-turn-progress" data-field="progress"></p>
<p class="graph-turn-intro">Values stay on the graph; each gradient shows as <b>?</b> until you find it. Select a node, type its gradient (a number such as <code>-0.33</code> or <code>1/4</code>, a vector <code>[0.1, -0.2]</code>, or an expression over the graph's names such as <code>(a - y)*x</code>), then Check.</p>
<div class="graph-turn-node"></div>
<p class="graph-turn-live" role="status" aria-live="polite"></p>`;
  section.hidden = true;
  dom.panel.after(section);
  const [progress, node, live] = ["progress", "node", "live"].map((n) =>
    section.querySelector(`.graph-turn-${n}`),
  );
  return { toggle, section, progress, node, live, handlers, built: "", forms: new Map() };
}

/** One form for one step: the question, the input, the reading, the buttons, the feedback. */
function stepForm(tv, item, index) {
  const id = `graph-turn-${uid}-${tv.forms.size + 1}`;
  const form = make("form", {
    class: "graph-turn-step",
    "data-quantity": item.step.quantity,
    "data-parent": item.step.parent || "",
    "data-step-node": item.step.node,
    novalidate: true,
  });
  form.innerHTML = `<label class="graph-turn-question" for="${id}"><span class="graph-turn-number">${index + 1}.</span> ${esc(item.words)}: ${texHtml(item.tex, { big: true })}</label>
<div class="graph-turn-row"><input id="${id}" class="graph-turn-input" type="text" inputmode="text" autocomplete="off" autocapitalize="off" spellcheck="false" data-input="answer" data-quantity="${esc(item.step.quantity)}" data-parent="${esc(item.step.parent || "")}" aria-describedby="${id}-read ${id}-feedback">
<button type="submit" data-action="check">Check</button><button type="button" data-action="show-me">Show me</button></div>
<p class="graph-turn-read" id="${id}-read"></p>
<div class="graph-turn-feedback" id="${id}-feedback"></div>`;
  const input = form.querySelector("input");
  const read = form.querySelector(".graph-turn-read");
  const show = form.querySelector('[data-action="show-me"]');
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (available(parts.check)) tv.handlers.onCheck(item.step, input.value);
  });
  show.addEventListener("click", () => available(show) && tv.handlers.onShow(item.step));
  // Before Check: the text as typed; after, the server's reading of it (typeset).
  input.addEventListener("input", () => {
    read.dataset.typed = "true";
    read.textContent = input.value.trim() ? `You typed: ${input.value}` : "";
  });
  const parts = {
    form,
    input,
    read,
    show,
    check: form.querySelector('[data-action="check"]'),
    feedback: form.querySelector(".graph-turn-feedback"),
    html: "",
    readHtml: "",
  };
  tv.forms.set(item.key, parts);
  return form;
}

/** The feedback of one step's last reply, with the hint or the worked product. */
function feedbackHtml(result) {
  if (!result) return "";
  if (result.error) {
    const where = result.column ? ` (at character ${result.column})` : "";
    return `<p class="graph-turn-verdict is-error" data-note="unreadable">${esc(result.error)}${esc(where)}</p>`;
  }
  const verdict = {
    correct: "Right.",
    "carried-forward": "Right, given your earlier value.",
    shown: "Shown.",
  };
  const kind = result.correct ? "is-right" : result.note === "shown" ? "is-shown" : "is-wrong";
  // The server's sentence may already say "Right: ...": the label is not said twice.
  const head = verdict[result.note] || "Not yet.";
  const said = result.feedback.toLowerCase().startsWith(head.slice(0, 5).toLowerCase());
  let html = `<p class="graph-turn-verdict ${kind}" data-note="${esc(result.note)}">${said ? "" : `<b>${head}</b> `}${esc(result.feedback)}</p>`;
  if (!result.correct && result.hint && result.note !== "shown")
    html += `<p class="graph-turn-hint" data-field="hint">Hint, the rule: ${texHtml(result.hint, { big: true })}</p>`;
  if (result.note === "correct") return html; // its feedback already gives the value
  if (result.worked)
    html += `<p class="graph-turn-worked" data-field="worked">${texHtml(result.worked, { big: true })}</p>`;
  else if (result.expected !== undefined)
    html += `<p class="graph-turn-worked" data-field="expected">${esc(valueText(result.expected))}</p>`;
  return html;
}

/** The forward values the node's steps use, in full: the graph shows an array's shape only. */
function valuesList(values) {
  const list = make("ul", {
    class: "graph-turn-values",
    "data-field": "values",
    "aria-label": "Values at this node",
  });
  list.innerHTML = values
    .map(
      (v) =>
        `<li data-value-of="${esc(v.id)}">${texHtml(v.tex)} = <span class="graph-turn-value">${esc(v.text)}</span>${v.shape ? ` <span class="graph-turn-shape">(${esc(v.shape)})</span>` : ""}</li>`,
    )
    .join("");
  return list;
}

/**
 * Draw `model` = {on, title, values, items: [{key, step, tex, words, status, result, busy, attempts}],
 * progress, announce, error}; the forms are rebuilt only when the node (model.built) changes.
 */
function drawTurnView(tv, model) {
  tv.toggle.checked = model.on;
  tv.section.hidden = !model.on;
  if (!model.on) return;
  tv.progress.textContent = model.error || model.progress;
  if (tv.built !== model.built) {
    tv.built = model.built;
    tv.forms.clear();
    tv.node.replaceChildren();
    if (model.title) {
      const head = make("p", { class: "graph-turn-head" });
      head.innerHTML = model.title;
      tv.node.append(head, valuesList(model.values || []));
      tv.node.append(...model.items.map((item, i) => stepForm(tv, item, i)));
    } else
      tv.node.append(
        make("p", { class: "graph-turn-hint-select" }, "Select a node on the graph to start."),
      );
  }
  for (const item of model.items) {
    const parts = tv.forms.get(item.key);
    if (!parts) continue;
    parts.form.dataset.status = item.status;
    parts.form.dataset.replies = String(item.result?.n || 0);
    setUnavailable(parts.check, item.busy);
    setUnavailable(parts.show, item.busy || !item.attempts || item.status !== "open");
    parts.form.setAttribute("aria-busy", String(item.busy));
    const html = feedbackHtml(item.result);
    if (html !== parts.html) {
      parts.html = html;
      parts.feedback.innerHTML = html;
    }
    const reading = item.result?.read_as
      ? `Read as ${texHtml(item.result.read_as, { big: true })}`
      : parts.read.dataset.typed
        ? null
        : "";
    if (reading !== null && reading !== parts.readHtml) {
      parts.readHtml = reading;
      parts.read.innerHTML = reading;
    }
  }
  // Only a new sentence is announced.
  if (tv.live.textContent !== model.announce) tv.live.textContent = model.announce;
}

/**
 * After a reply, the next reading replaces the typed text; after Show me (`clear`) the field is
 * emptied too, so the wrong answer does not stand next to "Shown" and the engine's value.
 */
function resetTyped(tv, key, clear = false) {
  const parts = tv.forms.get(key);
  if (parts) {
    if (clear) parts.input.value = "";
    delete parts.read.dataset.typed;
    parts.readHtml = "\u0000"; // drawn again on the next draw
  }
}

export { createTurnView, drawTurnView, resetTyped };
