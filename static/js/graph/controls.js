// The widget's controls: preset picker, input fields (number + slider, or a grid for a vector or
// matrix), the step / play / reset buttons, and the gradient-check switch with its table.
import { formatNumber, formatShape, isTensor } from "./view.js";

let uid = 0;

/** Call `fn` once input has been quiet for `ms` (the engine recomputes once per pause, not per pixel). */
function debounce(fn, ms) {
  let timer = 0;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  debounced.cancel = () => clearTimeout(timer);
  return debounced;
}

function html(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === true) node.setAttribute(key, "");
    else if (value !== false && value !== null && value !== undefined) node.setAttribute(key, value);
  }
  if (text) node.textContent = text;
  return node;
}

const STEP_BUTTONS = [
  { action: "forward", text: "Forward step", key: "F" },
  { action: "backward", text: "Backward step", key: "B" },
  { action: "play", text: "Play backward", key: "P" },
  { action: "reset", text: "Reset", key: "R" },
];

/**
 * Build the controls. `parts` = {toolbar, steps, inputs, check} are the containers;
 * `handlers` = {onPreset(id), onValue(name, value), onStep(action), onCheck(on)}.
 */
function createControls(parts, handlers, { showPresets = true } = {}) {
  uid += 1;
  const controls = { parts, handlers, inputsKey: "", fields: new Map(), buttons: {} };

  if (showPresets) {
    const label = html("label", { class: "graph-preset-label", for: `graph-preset-${uid}` }, "Example ");
    const select = html("select", { id: `graph-preset-${uid}`, class: "graph-preset" });
    select.addEventListener("change", () => handlers.onPreset(select.value));
    parts.toolbar.prepend(label, select);
    controls.select = select;
  }

  const bar = html("div", { class: "graph-step-buttons", role: "toolbar", "aria-label": "Step through the passes" });
  for (const { action, text, key } of STEP_BUTTONS) {
    const button = html("button", { type: "button", class: "graph-button", "data-action": action, "aria-keyshortcuts": key });
    button.append(text, " ", html("kbd", { "aria-hidden": "true" }, key));
    button.addEventListener("click", () => handlers.onStep(action));
    bar.append(button);
    controls.buttons[action] = button;
  }
  controls.counter = html("p", { class: "graph-step-counter" });
  parts.steps.append(bar, controls.counter);

  const legend = html("legend", {}, "Inputs");
  controls.inputList = html("div", { class: "graph-input-list" });
  const note = html("p", { class: "graph-input-note" }, "Change an input: the engine recomputes every value and gradient.");
  parts.inputs.append(legend, note, controls.inputList);

  const switchId = `graph-check-${uid}`;
  const toggle = html("input", { type: "checkbox", role: "switch", id: switchId, class: "graph-switch" });
  toggle.addEventListener("change", () => handlers.onCheck(toggle.checked));
  const switchLabel = html("label", { for: switchId }, "Gradient check: show the numerical gradient of every input next to the analytic one");
  controls.checkTable = html("table", { class: "graph-check-table", hidden: true });
  parts.check.append(html("div", { class: "graph-switch-row" }), controls.checkTable);
  parts.check.firstChild.append(toggle, switchLabel);
  controls.toggle = toggle;
  return controls;
}

function sliderRange(value) {
  const low = Math.min(-5, Math.floor(value));
  const high = Math.max(5, Math.ceil(value));
  return [low, high];
}

function parseNumber(text) {
  const value = Number(String(text).replace("−", "-").trim());
  return text.trim() !== "" && Number.isFinite(value) ? value : null;
}

function scalarInput(controls, name, value) {
  const id = `graph-input-${uid}-${name}`;
  const row = html("div", { class: "graph-input-row" });
  const label = html("label", { for: id, class: "graph-input-label" }, name);
  const field = html("input", { id, type: "number", step: "any", inputmode: "decimal", "data-input": name, class: "graph-number" });
  const [low, high] = sliderRange(value);
  const slider = html("input", { type: "range", min: low, max: high, step: "0.01", "aria-label": `${name} slider`, class: "graph-slider", "data-slider": name });
  field.value = String(value);
  slider.value = String(value);
  field.addEventListener("input", () => {
    const number = parseNumber(field.value);
    field.setAttribute("aria-invalid", number === null ? "true" : "false");
    if (number === null) return;
    slider.value = String(number);
    controls.handlers.onValue(name, number);
  });
  field.addEventListener("change", () => {
    if (parseNumber(field.value) === null) {
      field.value = field.dataset.last || "0";
      field.setAttribute("aria-invalid", "false");
    }
  });
  slider.addEventListener("input", () => {
    const number = Number(slider.value);
    field.value = String(number);
    field.setAttribute("aria-invalid", "false");
    controls.handlers.onValue(name, number);
  });
  row.append(label, field, slider);
  controls.fields.set(name, { kind: "scalar", field, slider });
  return row;
}

function tensorInput(controls, name, value, shape) {
  const group = html("fieldset", { class: "graph-grid-input" });
  group.append(html("legend", {}, `${name} [${formatShape(shape)}]`));
  const rows = shape.length === 2 ? value : [value];
  const grid = html("div", { class: "graph-grid" });
  grid.style.setProperty("--columns", String(rows[0].length));
  const cells = [];
  rows.forEach((row, r) => {
    row.forEach((entry, c) => {
      const where = shape.length === 2 ? `row ${r + 1}, column ${c + 1}` : `entry ${c + 1}`;
      const cell = html("input", { type: "number", step: "any", inputmode: "decimal", class: "graph-number", "aria-label": `${name} ${where}`, "data-cell": name, "data-index": shape.length === 2 ? `${r},${c}` : `${c}` });
      cell.value = String(entry);
      cell.addEventListener("input", () => {
        const number = parseNumber(cell.value);
        cell.setAttribute("aria-invalid", number === null ? "true" : "false");
        if (number === null) return;
        controls.handlers.onValue(name, readGrid(cells, shape));
      });
      cells.push(cell);
      grid.append(cell);
    });
  });
  group.append(grid);
  controls.fields.set(name, { kind: "tensor", cells, shape });
  return group;
}

function readGrid(cells, shape) {
  const numbers = cells.map((cell) => parseNumber(cell.value) ?? Number(cell.dataset.last || 0));
  if (shape.length === 1) return numbers;
  const out = [];
  for (let r = 0; r < shape[0]; r += 1) out.push(numbers.slice(r * shape[1], (r + 1) * shape[1]));
  return out;
}

/** Show `value` in a field unless the student is typing in it (never fight the caret). */
function showValue(input, value) {
  input.dataset.last = String(value);
  if (document.activeElement === input) return;
  if (parseNumber(input.value) !== value) input.value = String(value);
}

function drawInputs(controls, inputs) {
  const key = JSON.stringify(inputs.map((n) => [n.id, n.shape]));
  if (key !== controls.inputsKey) {
    controls.inputsKey = key;
    controls.fields.clear();
    controls.inputList.replaceChildren(
      ...inputs.map((n) => (isTensor(n.shape) ? tensorInput(controls, n.id, n.value, n.shape) : scalarInput(controls, n.id, n.value))),
    );
  }
  for (const n of inputs) {
    const entry = controls.fields.get(n.id);
    if (!entry) continue;
    if (entry.kind === "scalar") {
      showValue(entry.field, n.value);
      if (document.activeElement !== entry.slider) entry.slider.value = String(n.value);
    } else {
      entry.cells.forEach((cell, i) => showValue(cell, n.value.flat ? n.value.flat()[i] : n.value));
    }
  }
  controls.parts.inputs.hidden = inputs.length === 0;
}

function checkCell(value) {
  if (value === undefined) return "not computed yet";
  if (Array.isArray(value)) return `[${value.flat().map(formatNumber).join(", ")}]`;
  return formatNumber(value);
}

function drawCheck(controls, on, rows) {
  controls.toggle.checked = on;
  const table = controls.checkTable;
  table.hidden = !on;
  if (!on) return;
  const key = JSON.stringify(rows);
  if (table.dataset.key === key) return;
  table.dataset.key = key;
  const caption = html("caption", {}, "Gradient check: analytic (backward pass) against numerical (finite differences)");
  const head = html("thead");
  const headRow = html("tr");
  for (const text of ["Input", "Analytic", "Numerical", "Relative error"]) headRow.append(html("th", { scope: "col" }, text));
  head.append(headRow);
  const body = html("tbody");
  for (const row of rows) {
    const tr = html("tr", { "data-check": row.input });
    tr.append(html("th", { scope: "row" }, row.input));
    tr.append(html("td", { class: "is-grad", "data-field": "analytic" }, checkCell(row.analytic)));
    tr.append(html("td", { "data-field": "numeric" }, checkCell(row.numeric)));
    const ok = row.rel_error !== null && row.rel_error < 1e-4;
    tr.append(html("td", { "data-field": "rel_error" }, `${row.rel_error === null ? "—" : row.rel_error.toExponential(1)} ${ok ? "✓ agree" : "✗ differ"}`));
    body.append(tr);
  }
  table.replaceChildren(caption, head, body);
}

/**
 * Update the controls from the widget's state: `view` = {presets, presetId, inputs: [{id, value, shape}],
 * steps: {cursor, total, playing, busy}, check: {on, rows}}.
 */
function drawControls(controls, view) {
  if (controls.select) {
    const key = view.presets.map((p) => p.id).join("|");
    if (controls.select.dataset.key !== key) {
      controls.select.dataset.key = key;
      controls.select.replaceChildren(...view.presets.map((p) => html("option", { value: p.id }, p.title || p.id)));
    }
    if (view.presetId !== null && controls.select.value !== view.presetId) controls.select.value = view.presetId;
    if (view.presetId === null && view.presets.length) controls.select.selectedIndex = -1;
  }
  drawInputs(controls, view.inputs);
  const { cursor, total, playing } = view.steps;
  const n = total / 2;
  const done = cursor === null || cursor >= total;
  controls.buttons.forward.disabled = !done && cursor >= n;
  controls.buttons.backward.disabled = !done && cursor < n;
  const play = controls.buttons.play;
  play.firstChild.textContent = playing ? "Pause" : "Play backward";
  play.setAttribute("aria-pressed", playing ? "true" : "false");
  let text;
  if (done) text = "Forward and backward passes computed. Step to replay them one node at a time.";
  else if (cursor < n) text = `Forward pass: ${cursor} of ${n} nodes computed.`;
  else text = `Backward pass: ${cursor - n} of ${n} gradients computed.`;
  if (controls.counter.textContent !== text) controls.counter.textContent = text;
  drawCheck(controls, view.check.on, view.check.rows);
}

export { createControls, drawControls, debounce, parseNumber };
