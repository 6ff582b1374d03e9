// The controls: preset picker, inputs (a number field and a slider, or a grid for a vector or
// matrix), step / play / reset buttons, and the gradient-check switch with its table.
import { formatNumber, formatShape, isTensor } from "./view.js";

let uid = 0;
const STEPS = [
  ["forward", "Forward step", "F"],
  ["backward", "Backward step", "B"],
  ["play", "Play backward", "P"],
  ["reset", "Reset", "R"],
];

/** Call fn once the calls have paused for `ms`: the engine recomputes once per pause, not per pixel. */
function debounce(fn, ms) {
  let timer = 0;
  return Object.assign((...args) => (clearTimeout(timer), (timer = setTimeout(fn, ms, ...args))), { cancel: () => clearTimeout(timer) });
}

function make(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  node.textContent = text;
  return node;
}

const parse = (text) => (String(text).trim() === "" ? null : Number(String(text).replace("−", "-")));
const valid = (text) => Number.isFinite(parse(text));

/**
 * Build the controls in `parts` = {toolbar, steps, inputs, check};
 * handlers = {onPreset(id), onValue(name, value), onStep(action), onCheck(on)}.
 */
function createControls(parts, handlers) {
  uid += 1;
  const c = { parts, handlers, key: "", fields: new Map(), buttons: {} };
  c.select = make("select", { id: `graph-preset-${uid}`, class: "graph-preset" });
  c.select.addEventListener("change", () => handlers.onPreset(c.select.value));
  parts.toolbar.prepend(make("label", { for: c.select.id }, "Example "), c.select);
  const bar = make("div", { class: "graph-step-buttons", role: "toolbar", "aria-label": "Step through the passes" });
  for (const [action, text, key] of STEPS) {
    const button = make("button", { type: "button", class: "graph-button", "data-action": action, "aria-keyshortcuts": key }, `${text} `);
    button.append(make("kbd", { "aria-hidden": "true" }, key));
    button.addEventListener("click", () => handlers.onStep(action));
    bar.append(button);
    c.buttons[action] = button;
  }
  c.counter = make("p", { class: "graph-step-counter" });
  parts.steps.append(bar, c.counter);
  c.list = make("div");
  parts.inputs.append(make("legend", {}, "Inputs"), make("p", { class: "graph-note" }, "Change an input: the engine recomputes every value and gradient."), c.list);
  c.toggle = make("input", { type: "checkbox", role: "switch", id: `graph-check-${uid}`, class: "graph-switch" });
  c.toggle.addEventListener("change", () => handlers.onCheck(c.toggle.checked));
  const row = make("div", { class: "graph-switch-row" });
  row.append(c.toggle, make("label", { for: c.toggle.id }, "Gradient check: show the numerical gradient of every input next to the analytic one"));
  c.table = make("table", { class: "graph-check-table" });
  parts.check.append(row, c.table);
  return c;
}

/** A number field that reports valid numbers as they are typed, and restores the last on blur. */
function numberField(attributes, onNumber) {
  const field = make("input", { type: "number", step: "any", inputmode: "decimal", class: "graph-number", ...attributes });
  field.addEventListener("input", () => {
    field.setAttribute("aria-invalid", String(!valid(field.value)));
    if (valid(field.value)) onNumber(parse(field.value));
  });
  field.addEventListener("change", () => {
    if (!valid(field.value)) field.value = field.dataset.last;
    field.setAttribute("aria-invalid", "false");
  });
  return field;
}

function scalarInput(c, name, value) {
  const id = `graph-input-${uid}-${name}`;
  const row = make("div", { class: "graph-input-row" });
  const slider = make("input", { type: "range", min: Math.min(-5, Math.floor(value)), max: Math.max(5, Math.ceil(value)), step: "0.01", "aria-label": `${name} slider`, class: "graph-slider", "data-slider": name });
  const field = numberField({ id, "data-input": name }, (v) => {
    slider.value = v;
    c.handlers.onValue(name, v);
  });
  slider.addEventListener("input", () => {
    field.value = slider.value;
    c.handlers.onValue(name, Number(slider.value));
  });
  row.append(make("label", { for: id }, name), field, slider);
  c.fields.set(name, [field, slider]);
  return row;
}

function gridInput(c, name, value, shape) {
  const group = make("fieldset", { class: "graph-grid-input" });
  const grid = make("div", { class: "graph-grid" });
  const rows = shape.length === 2 ? value : [value];
  grid.style.setProperty("--columns", rows[0].length);
  const cells = rows.flatMap((row, r) =>
    row.map((_v, k) => {
      const where = shape.length === 2 ? `row ${r + 1}, column ${k + 1}` : `entry ${k + 1}`;
      return numberField({ "aria-label": `${name} ${where}`, "data-cell": name, "data-index": shape.length === 2 ? `${r},${k}` : k }, () => {
        const flat = cells.map((cell) => (valid(cell.value) ? parse(cell.value) : Number(cell.dataset.last)));
        c.handlers.onValue(name, shape.length === 2 ? rows.map((_r, i) => flat.slice(i * shape[1], (i + 1) * shape[1])) : flat);
      });
    }),
  );
  grid.append(...cells);
  group.append(make("legend", {}, `${name} [${formatShape(shape)}]`), grid);
  c.fields.set(name, cells);
  return group;
}

/** Show a value in a field, unless the student is typing in it (never fight the caret). */
function show(input, value) {
  input.dataset.last = value;
  if (document.activeElement !== input && parse(input.value) !== value) input.value = value;
}

const cell = (v) => (v === undefined ? "not computed yet" : Array.isArray(v) ? `[${v.flat().map(formatNumber).join(", ")}]` : formatNumber(v));

/**
 * Update the controls: view = {presets, presetId, inputs: [{id, value, shape}],
 * steps: {cursor, total, playing}, check: {on, rows}}.
 */
function drawControls(c, view) {
  const key = view.presets.map((p) => p.id).join();
  if (c.select.dataset.key !== key) {
    c.select.dataset.key = key;
    c.select.replaceChildren(...view.presets.map((p) => make("option", { value: p.id }, p.title)));
  }
  c.select.value = view.presetId || "";
  const inputs = JSON.stringify(view.inputs.map((n) => [n.id, n.shape]));
  if (inputs !== c.key) {
    c.key = inputs;
    c.fields.clear();
    c.list.replaceChildren(...view.inputs.map((n) => (isTensor(n.shape) ? gridInput : scalarInput)(c, n.id, n.value, n.shape)));
  }
  for (const n of view.inputs) {
    const fields = c.fields.get(n.id);
    const values = isTensor(n.shape) ? n.value.flat() : [n.value, n.value];
    fields.forEach((field, i) => show(field, values[i]));
  }
  c.parts.inputs.hidden = !view.inputs.length;
  const { cursor, total, playing } = view.steps;
  const n = total / 2;
  const done = cursor === null || cursor >= total;
  c.buttons.forward.disabled = !done && cursor >= n;
  c.buttons.backward.disabled = !done && cursor < n;
  c.buttons.play.firstChild.textContent = playing ? "Pause " : "Play backward ";
  c.buttons.play.setAttribute("aria-pressed", String(playing));
  c.counter.textContent = done ? "Forward and backward passes computed. Step to replay them one node at a time." : cursor < n ? `Forward pass: ${cursor} of ${n} nodes computed.` : `Backward pass: ${cursor - n} of ${n} gradients computed.`;
  c.toggle.checked = view.check.on;
  c.table.hidden = !view.check.on;
  const rows = JSON.stringify(view.check.rows);
  if (!view.check.on || c.table.dataset.rows === rows) return;
  c.table.dataset.rows = rows;
  const body = view.check.rows.map((r) => {
    const ok = r.rel_error !== null && r.rel_error < 1e-4;
    return `<tr data-check="${r.input}"><th scope="row">${r.input}</th><td class="is-grad">${cell(r.analytic)}</td><td>${cell(r.numeric)}</td><td>${r.rel_error === null ? "—" : r.rel_error.toExponential(1)} ${ok ? "✓ agree" : "✗ differ"}</td></tr>`;
  });
  c.table.innerHTML = `<caption>Analytic (backward pass) against numerical (finite differences) gradients</caption><tr><th scope="col">Input</th><th scope="col">Analytic</th><th scope="col">Numerical</th><th scope="col">Relative error</th></tr>${body.join("")}`;
}

export { createControls, drawControls, debounce };
