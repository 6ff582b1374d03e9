// The playground's own parts: a program editor with errors shown at the engine's line and column,
// and the playground's state (program and values) kept in the URL so it can be shared.
import { escapeHtml } from "./panel.js";

let uid = 0;

/** The program and values a playground URL carries, or null when it carries none. */
function readUrlState(search = window.location.search) {
  const params = new URLSearchParams(search);
  const program = params.get("program");
  if (program === null) return null;
  let values = {};
  try {
    const parsed = JSON.parse(params.get("values") || "{}");
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) values = parsed;
  } catch (_error) {
    // A mangled link still opens the program; the inputs get their defaults.
  }
  return { program, values };
}

/** The query string of a playground state. */
function stateQuery(program, values) {
  const params = new URLSearchParams();
  params.set("program", program);
  params.set("values", JSON.stringify(values));
  return `?${params}`;
}

/** A link to the playground (at `base`, from the server's config) opening this program and values. */
function playgroundHref(base, program, values) {
  return `${base}${stateQuery(program, values)}`;
}

/** Keep the state in the address bar without adding a history entry per keystroke. */
function writeUrlState(program, values) {
  const query = stateQuery(program, values);
  if (window.location.search !== query) window.history.replaceState(null, "", `${window.location.pathname}${query}${window.location.hash}`);
}

/**
 * The names a program reads without assigning them: its inputs (a guess made before the engine
 * answers, so new inputs get a value and removed ones are not sent).
 */
function guessInputs(program, functions = ["sigmoid", "relu", "tanh", "exp", "log", "max", "sum", "mean", "bce", "mse"]) {
  const assigned = new Set();
  const read = [];
  for (const line of program.split("\n")) {
    const code = line.replace(/#.*/, "");
    const match = /^\s*([A-Za-z][A-Za-z0-9_]*)\s*=(?!=)(.*)$/.exec(code);
    const right = match ? match[2] : code;
    for (const [name] of right.matchAll(/[A-Za-z][A-Za-z0-9_]*/g)) {
      if (functions.includes(name) || assigned.has(name) || read.includes(name)) continue;
      if (/^[eE]\d*$/.test(name) && /\d[eE]/.test(right)) continue; // the exponent of 1e-3
      read.push(name);
    }
    if (match) assigned.add(match[1]);
  }
  return read;
}

/** Build the editor: a labelled textarea, a hint, and the place where errors show. */
function createEditor(container, handlers) {
  uid += 1;
  const id = `graph-program-${uid}`;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const label = document.createElement("label");
  label.htmlFor = id;
  label.className = "graph-editor-label";
  label.textContent = "Program";
  const hint = document.createElement("p");
  hint.id = hintId;
  hint.className = "graph-editor-hint";
  hint.textContent =
    "One assignment a line, as in z = w*x + b. Names never assigned are inputs. Use + - * / ** @ and sigmoid, relu, tanh, exp, log, max, sum, mean, bce, mse. The last line is the loss.";
  const textarea = document.createElement("textarea");
  textarea.id = id;
  textarea.className = "graph-program";
  textarea.rows = 6;
  textarea.spellcheck = false;
  textarea.setAttribute("autocapitalize", "off");
  textarea.setAttribute("autocomplete", "off");
  textarea.setAttribute("aria-describedby", `${hintId} ${errorId}`);
  textarea.dataset.program = "";
  const error = document.createElement("div");
  error.id = errorId;
  error.className = "graph-program-error";
  error.setAttribute("role", "alert");
  textarea.addEventListener("input", () => handlers.onProgram(textarea.value));
  error.addEventListener("click", (event) => {
    if (!event.target.closest("button[data-goto]")) return;
    goTo(textarea, Number(event.target.dataset.line), Number(event.target.dataset.column));
  });
  container.append(label, hint, textarea, error);
  return { textarea, error, shown: "" };
}

/** Put the caret at a 1-based line and column of the textarea. */
function goTo(textarea, line, column) {
  const lines = textarea.value.split("\n");
  let offset = 0;
  for (let i = 0; i < Math.min(line - 1, lines.length); i += 1) offset += lines[i].length + 1;
  offset += Math.max(0, (column || 1) - 1);
  textarea.focus();
  textarea.setSelectionRange(offset, offset);
}

/** The error at its line: the line itself, a caret under the column, the engine's message. */
function errorHtml(program, error) {
  const message = `<p class="graph-program-message">${escapeHtml(error.message)}</p>`;
  if (!error.line) return `<p class="graph-program-where">The program was not run; the last good graph stays on screen.</p>${message}`;
  const text = program.split("\n")[error.line - 1] ?? "";
  const gutter = `${error.line} | `;
  const caret = error.column ? `${" ".repeat(gutter.length + error.column - 1)}^` : "";
  const where = `Line ${error.line}${error.column ? `, column ${error.column}` : ""}`;
  return (
    `<p class="graph-program-where" data-line="${error.line}" data-column="${error.column || ""}"><strong>${where}:</strong> the program was not run; the last good graph stays on screen.</p>` +
    `<pre class="graph-program-excerpt" aria-hidden="true">${escapeHtml(gutter + text)}\n${caret}</pre>` +
    message +
    `<button type="button" class="graph-button" data-goto data-line="${error.line}" data-column="${error.column || 1}">Go to ${escapeHtml(where.toLowerCase())}</button>`
  );
}

/** Show the program (unless the student is typing it) and its error, if any. */
function drawEditor(editor, { program, error }) {
  if (document.activeElement !== editor.textarea && editor.textarea.value !== program) editor.textarea.value = program;
  editor.textarea.setAttribute("aria-invalid", error ? "true" : "false");
  const html = error ? errorHtml(editor.textarea.value, error) : "";
  if (html !== editor.shown) {
    editor.shown = html;
    editor.error.innerHTML = html;
  }
  editor.error.hidden = !error;
}

export { createEditor, drawEditor, readUrlState, writeUrlState, playgroundHref, guessInputs };
