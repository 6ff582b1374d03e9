// The playground's parts: a program editor showing errors at the engine's line and column, and
// the state (program and values) kept in the URL so that a link shares it.
import { esc } from "./panel.js";

const FUNCTIONS = ["sigmoid", "relu", "tanh", "exp", "log", "max", "sum", "mean", "bce", "mse"];

/** The program and values a playground URL carries, or null. */
function readUrlState(search = location.search) {
  const params = new URLSearchParams(search);
  if (!params.has("program")) return null;
  let values = {};
  try {
    values = JSON.parse(params.get("values") || "{}");
  } catch (_error) {
    // A mangled link still opens its program; the inputs get a value each.
  }
  return { program: params.get("program"), values: values && typeof values === "object" && !Array.isArray(values) ? values : {} };
}

const query = (program, values) => `?${new URLSearchParams({ program, values: JSON.stringify(values) })}`;

/** A link to the playground at `base` (from the server's config) with this program and values. */
const playgroundHref = (base, program, values) => base + query(program, values);

/** Keep the state in the address bar, without a history entry per keystroke. */
function writeUrlState(program, values) {
  const search = query(program, values);
  if (location.search !== search) history.replaceState(null, "", location.pathname + search + location.hash);
}

/** The names a program reads before assigning them: its inputs, guessed before the engine answers. */
function guessInputs(program) {
  const assigned = new Set();
  const read = [];
  for (const line of program.split("\n")) {
    const match = /^\s*([A-Za-z]\w*)\s*=(?!=)(.*)$/.exec(line.replace(/#.*/, ""));
    const right = match ? match[2] : line.replace(/#.*/, "");
    for (const [name] of right.replace(/\d[eE][-+]?\d/g, "0").matchAll(/[A-Za-z]\w*/g)) {
      if (!FUNCTIONS.includes(name) && !assigned.has(name) && !read.includes(name)) read.push(name);
    }
    if (match) assigned.add(match[1]);
  }
  return read;
}

/** The editor in `container`: a labelled textarea, a hint, and the place where errors show. */
function createEditor(container, { onProgram }) {
  const id = `graph-program-${Math.random().toString(36).slice(2, 8)}`;
  container.innerHTML = `<label for="${id}" class="graph-editor-label">Program</label>
<p id="${id}-hint" class="graph-note">One assignment a line, as in z = w*x + b. Names never assigned are inputs. Use + - * / ** @ and sigmoid, relu, tanh, exp, log, max, sum, mean, bce, mse. The last line is the loss.</p>
<textarea id="${id}" class="graph-program" rows="6" spellcheck="false" autocapitalize="off" autocomplete="off" aria-describedby="${id}-hint ${id}-error"></textarea>
<div id="${id}-error" class="graph-program-error" role="alert"></div>`;
  const [textarea, error] = [container.querySelector("textarea"), container.lastElementChild];
  textarea.addEventListener("input", () => onProgram(textarea.value));
  error.addEventListener("click", (event) => {
    const button = event.target.closest("[data-goto]");
    if (button) goTo(textarea, Number(button.dataset.line), Number(button.dataset.column));
  });
  return { textarea, error, html: "" };
}

/** Put the caret at a 1-based line and column. */
function goTo(textarea, line, column) {
  const lines = textarea.value.split("\n").slice(0, line - 1);
  const offset = lines.reduce((sum, text) => sum + text.length + 1, 0) + column - 1;
  textarea.focus();
  textarea.setSelectionRange(offset, offset);
}

/** The error at its place: the line, a caret under the column, the engine's message. */
function errorHtml(program, { message, line, column }) {
  const text = `<p class="graph-program-message">${esc(message)}</p>`;
  if (!line) return `<p class="graph-program-where">The program was not run; the last good graph stays on screen.</p>${text}`;
  const gutter = `${line} | `;
  const where = `Line ${line}${column ? `, column ${column}` : ""}`;
  const caret = column ? `\n${" ".repeat(gutter.length + column - 1)}^` : "";
  return `<p class="graph-program-where" data-line="${line}" data-column="${column || ""}"><strong>${where}:</strong> the program was not run; the last good graph stays on screen.</p>
<pre class="graph-program-excerpt" aria-hidden="true">${esc(gutter + (program.split("\n")[line - 1] ?? ""))}${caret}</pre>${text}
<button type="button" class="graph-button" data-goto data-line="${line}" data-column="${column || 1}">Go to ${where.toLowerCase()}</button>`;
}

/** Show the program (unless the student is typing it) and its error, if any. */
function drawEditor(editor, { program, error }) {
  const { textarea } = editor;
  if (document.activeElement !== textarea && textarea.value !== program) textarea.value = program;
  textarea.setAttribute("aria-invalid", String(Boolean(error)));
  const html = error ? errorHtml(textarea.value, error) : "";
  if (html !== editor.html) editor.error.innerHTML = editor.html = html;
  editor.error.hidden = !error;
}

export { createEditor, drawEditor, readUrlState, writeUrlState, playgroundHref, guessInputs };
