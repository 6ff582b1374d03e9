// The gradient-descent controls: a learning rate, how many steps, the step button, and the loss
// after each step. The widget computes the step (model.js) and asks the engine for the new loss.
import { available, element as make, setUnavailable } from "../dom.js";
import { formatNumber as f } from "./format.js";
import { texHtml } from "./tex.js";

let uid = 0;

/** Build the controls in `container`; handlers = {onDescent(), onRate(eta), onSteps(n)}. */
function createDescent(container, handlers) {
  uid += 1;
  const d = { container, html: "" };
  const heading = make("h3", { class: "graph-descent-title", id: `graph-descent-${uid}` });
  heading.textContent = "What the gradient is for: a descent step";
  d.rule = make("p", { class: "graph-descent-rule" });
  const row = make("div", { class: "graph-descent-row" });
  const field = (name, label, attributes) => {
    const id = `graph-${name}-${uid}`;
    const input = make("input", {
      id,
      type: "number",
      inputmode: "decimal",
      class: "graph-number",
      "data-input": name,
      "aria-describedby": `${id}-message`,
      ...attributes,
    });
    const message = make("p", { id: `${id}-message`, class: "graph-input-message", role: "alert" });
    const wrap = make("div", { class: "graph-descent-field" });
    wrap.append(make("label", { for: id }, label), input, message);
    row.append(wrap);
    return { input, message };
  };
  d.rate = field("learning-rate", "Learning rate η", { min: 0, step: "any" });
  d.steps = field("descent-steps", "Steps", { min: 1, max: 50, step: 1 });
  const read = (part, ok, onValue, why) => {
    const v = Number(part.input.value);
    const fine = part.input.value.trim() !== "" && ok(v);
    part.input.setAttribute("aria-invalid", !fine);
    part.message.textContent = fine ? "" : why;
    if (fine) onValue(v);
  };
  d.rate.input.addEventListener("input", () =>
    read(
      d.rate,
      (v) => v > 0 && v <= 100,
      handlers.onRate,
      "The learning rate is a number above 0 (at most 100).",
    ),
  );
  d.steps.input.addEventListener("input", () =>
    read(
      d.steps,
      (v) => Number.isInteger(v) && v >= 1 && v <= 50,
      handlers.onSteps,
      "Steps is a whole number from 1 to 50.",
    ),
  );
  d.button = make("button", {
    type: "button",
    class: "graph-button",
    "data-action": "descent-step",
  });
  d.button.addEventListener("click", () => available(d.button) && handlers.onDescent());
  row.append(d.button);
  d.log = make("ol", { class: "graph-descent-log", "aria-live": "polite" });
  container.setAttribute("aria-labelledby", heading.id);
  container.append(heading, d.rule, row, d.log);
  return d;
}

const show = (input, value) => {
  if (document.activeElement !== input) input.value = value;
};

/** Update from {parameters, rate, steps, log: [{step, before, after}], busy}. */
function drawDescent(d, view) {
  d.container.hidden = !view.parameters.length;
  const names = view.parameters.join(", ");
  const rule = `${texHtml("w \\leftarrow w - \\eta\\,\\frac{\\partial L}{\\partial w}")} for each parameter (${names}); the data inputs stay as they are.`;
  if (d.html !== rule) {
    d.rule.innerHTML = rule;
    d.html = rule;
  }
  show(d.rate.input, view.rate);
  show(d.steps.input, view.steps);
  d.button.textContent =
    view.steps > 1 ? `Take ${view.steps} descent steps` : "Take a descent step";
  setUnavailable(d.button, view.busy); // the focus stays on it while the steps run
  const items = view.log.map(
    (e) =>
      `Step ${e.step}: loss ${f(e.before)} → ${f(e.after)}${e.after > e.before ? " (it went up: try a smaller η)" : ""}`,
  );
  if (JSON.stringify(items) !== d.items) {
    d.items = JSON.stringify(items);
    d.log.replaceChildren(...items.map((text) => make("li", {}, text)));
  }
}

export { createDescent, drawDescent };
