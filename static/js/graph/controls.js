// The controls: preset picker, inputs (a number field and a slider, or a grid for a vector or a
// matrix), the step / play / reset buttons and the gradient-check switch.
import { available, element as make, setUnavailable } from "../dom.js";

let uid = 0;

/** Call fn once calls pause for `ms`: the engine recomputes once per pause, not per pixel. */
function debounce(fn, ms) {
  let timer;
  const call = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms, ...args);
  };
  return Object.assign(call, {
    cancel: () => clearTimeout(timer),
  });
}

const parse = (text) => (text.trim() ? Number(text.replace("−", "-")) : NaN);

/**
 * Build the controls in `parts` = {toolbar, steps, inputs, check};
 * handlers = {onPreset(id), onValue(name, value), onStep(action), onCheck(on)}.
 */
function createControls(parts, handlers) {
  const c = { parts, handlers, fields: new Map(), messages: new Map(), buttons: {}, id: ++uid };
  c.select = make("select", { id: `graph-preset-${uid}`, class: "graph-preset" });
  c.select.addEventListener("change", () => handlers.onPreset(c.select.value));
  parts.toolbar.append(make("label", { for: c.select.id }, "Example "), c.select);
  const bar = make("div", { class: "graph-step-buttons" });
  for (const [action, text] of [
    ["forward", "Forward step"],
    ["backward", "Backward step"],
    ["play", "Play backward"],
    ["reset", "Reset"],
  ]) {
    const key = action[0].toUpperCase();
    const button = make(
      "button",
      { type: "button", class: "graph-button", "data-action": action, "aria-keyshortcuts": key },
      `${text} `,
    );
    c.buttons[action] = button;
    button.append(make("kbd", { "aria-hidden": "true" }, key));
    button.addEventListener("click", () => available(button) && handlers.onStep(action));
    bar.append(button);
  }
  c.counter = make("p", { class: "graph-note" });
  parts.steps.append(bar, c.counter);
  c.list = make("div");
  parts.inputs.append(make("legend", {}, "Inputs"), c.list);
  c.toggle = make("input", {
    type: "checkbox",
    role: "switch",
    id: `graph-check-${uid}`,
    class: "graph-switch",
  });
  c.toggle.addEventListener("change", () => handlers.onCheck(c.toggle.checked));
  parts.check.append(
    c.toggle,
    make(
      "label",
      { for: c.toggle.id },
      "Gradient check: the numerical gradient of each input next to the analytic one",
    ),
  );
  return c;
}

/** A number field that reports valid numbers as they are typed and restores the last on blur. */
function numberField(attributes, onNumber) {
  const field = make("input", {
    type: "number",
    step: "any",
    inputmode: "decimal",
    class: "graph-number",
    ...attributes,
  });
  const check = () => field.setAttribute("aria-invalid", !Number.isFinite(parse(field.value)));
  field.addEventListener("input", () => {
    check();
    if (Number.isFinite(parse(field.value))) onNumber(parse(field.value));
  });
  field.addEventListener("change", () => {
    if (Number.isFinite(parse(field.value))) return;
    field.value = field.dataset.last;
    check();
  });
  return field;
}

function scalarInput(c, name, value, _shape, range) {
  const id = `graph-input-${c.id}-${name}`;
  const row = make("div", { class: "graph-input-row" });
  const slider = make("input", {
    type: "range",
    min: range?.min ?? Math.min(-5, Math.floor(value)),
    max: range?.max ?? Math.max(5, Math.ceil(value)),
    step: 0.01,
    "aria-label": `${name} slider`,
    class: "graph-slider",
    "data-slider": name,
  });
  const field = numberField({ id, "data-input": name }, (v) => {
    slider.value = v;
    c.handlers.onValue(name, v);
  });
  slider.addEventListener("input", () => {
    field.value = slider.value;
    c.handlers.onValue(name, Number(slider.value));
  });
  if (range) {
    if (range.min !== undefined) field.min = range.min;
    if (range.max !== undefined) field.max = range.max;
  }
  const message = make("p", { id: `${id}-message`, class: "graph-input-message", role: "alert" });
  field.setAttribute("aria-describedby", message.id);
  row.append(make("label", { for: id }, name), field, slider, message);
  c.fields.set(name, [field, slider]);
  c.messages.set(name, message);
  return row;
}

function gridInput(c, name, value, shape) {
  const group = make("fieldset", { class: "graph-grid-input" });
  const grid = make("div", { class: "graph-grid" });
  const width = shape[1] || shape[0];
  grid.style.setProperty("--columns", width);
  const read = () => {
    const flat = cells.map((cell) =>
      Number.isFinite(parse(cell.value)) ? parse(cell.value) : Number(cell.dataset.last),
    );
    return shape.length === 2
      ? value.map((_row, r) => flat.slice(r * width, (r + 1) * width))
      : flat;
  };
  const cells = value.flat().map((_v, i) => {
    const where =
      shape.length === 2
        ? `row ${Math.floor(i / width) + 1}, column ${(i % width) + 1}`
        : `entry ${i + 1}`;
    return numberField({ "aria-label": `${name} ${where}`, "data-cell": name }, () =>
      c.handlers.onValue(name, read()),
    );
  });
  grid.append(...cells);
  const message = make("p", {
    id: `graph-input-${c.id}-${name}-message`,
    class: "graph-input-message",
    role: "alert",
  });
  for (const cell of cells) cell.setAttribute("aria-describedby", message.id);
  group.append(make("legend", {}, `${name} [${shape.join("×")}]`), grid, message);
  c.fields.set(name, cells);
  c.messages.set(name, message);
  return group;
}

/** Show a value in a field, unless the student is typing in it (never fight the caret). */
function show(input, value) {
  // Six significant digits fit the field; the graph keeps the exact value.
  const shown = typeof value === "number" ? Number(value.toPrecision(6)) : value;
  input.dataset.last = shown;
  if (document.activeElement !== input && parse(input.value) !== shown) input.value = shown;
}

/** Update from view = {presets, presetId, inputs: [{id, value, shape}], steps: {cursor, total, playing}, check}. */
function drawControls(c, view) {
  const key = view.presets.map((p) => p.id).join() + (view.own ? ",own" : "");
  if (c.select.dataset.key !== key) {
    c.select.dataset.key = key;
    const options = view.presets.map((p) => make("option", { value: p.id }, p.title));
    // After the student types a program of their own the menu says so, not the last example.
    if (view.own) options.unshift(make("option", { value: "" }, "Your own program"));
    c.select.replaceChildren(...options);
  }
  c.select.value = view.presetId || "";
  const inputs = JSON.stringify(view.inputs.map((n) => [n.id, n.shape, n.range]));
  if (inputs !== c.inputs) {
    c.inputs = inputs;
    c.list.replaceChildren(
      ...view.inputs.map((n) =>
        (n.shape.length ? gridInput : scalarInput)(c, n.id, n.value, n.shape, n.range),
      ),
    );
  }
  for (const n of view.inputs) {
    const flat = n.shape.length ? n.value.flat() : [n.value];
    const fields = c.fields.get(n.id);
    const typing = fields.find((field) => field === document.activeElement);
    // A refused value stays in its field, marked, with the reason beside it.
    if (n.refused && typing) typing.setAttribute("aria-invalid", "true");
    for (const [i, field] of fields.entries()) show(field, flat[i]);
    const message = c.messages.get(n.id);
    if (message && message.textContent !== n.refused) message.textContent = n.refused;
  }
  c.parts.inputs.hidden = !view.inputs.length;
  const { cursor, total, playing } = view.steps;
  const n = total / 2;
  const done = cursor === null || cursor >= total;
  // The button pressed last keeps the focus when its pass is over.
  setUnavailable(c.buttons.forward, !done && cursor >= n);
  setUnavailable(c.buttons.backward, !done && cursor < n);
  c.buttons.play.firstChild.textContent = playing ? "Pause " : "Play backward ";
  c.buttons.play.setAttribute("aria-pressed", playing);
  c.counter.textContent = done
    ? "Both passes computed; step to replay them."
    : cursor < n
      ? `Forward pass: ${cursor} of ${n} values.`
      : `Backward pass: ${cursor - n} of ${n} gradients.`;
  c.toggle.checked = view.check;
}

export { createControls, debounce, drawControls };
