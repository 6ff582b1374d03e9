// The playground's parts: a program editor that shows errors at the engine's line and column,
// and the state (program and values) kept in the URL, so that a link shares it.
import { playgroundHref } from "./model.js";
import { esc } from "./tex.js";

/** The program and values a playground URL carries, or null. */
function readUrlState() {
  const params = new URLSearchParams(location.search);
  let values = {};
  try {
    values = JSON.parse(params.get("values")) || {}; // a mangled link still opens its program
  } catch (_error) {}
  return params.has("program") && { program: params.get("program"), values };
}

/** Keep the state in the address bar, without a history entry per keystroke. */
const writeUrlState = (program, values) =>
  history.replaceState(null, "", playgroundHref(location.pathname, program, values));

/** The names a program reads before assigning them: its inputs, guessed before the engine answers. */
function guessInputs(program) {
  const [assigned, read] = [new Set(), []];
  for (const line of program.split("\n")) {
    const [, target, right] = /^\s*(?:([A-Za-z]\w*)\s*=(?!=))?(.*)/.exec(line.replace(/#.*/, ""));
    for (const [name] of right.replace(/\d[eE][-+]?\d/g, "").matchAll(/[A-Za-z]\w*(?!\w*\s*\()/g))
      if (!assigned.has(name) && !read.includes(name)) read.push(name);
    assigned.add(target);
  }
  return read;
}

/** The editor in `container`: a labelled textarea, a hint, and the place where errors show. */
function createEditor(container, { onProgram }) {
  container.innerHTML = `<label for="graph-program" class="graph-editor-label">Program</label>
<p id="graph-program-hint" class="graph-note">One assignment a line (z = w*x + b); names never assigned are inputs; the last line is the loss. Use + - * / ** @, sigmoid, relu, tanh, exp, log, max, sum, mean, bce, mse.</p>
<textarea id="graph-program" class="graph-program" rows="6" spellcheck="false" autocapitalize="off" aria-describedby="graph-program-hint graph-program-error"></textarea>
<div id="graph-program-error" class="graph-program-error" role="alert"></div>`;
  const textarea = container.querySelector("textarea");
  textarea.addEventListener("input", () => onProgram(textarea.value));
  return { textarea, error: container.lastElementChild, html: "" };
}

/** The error at its place: the line quoted, a caret under the column, the engine's message. */
function errorHtml(program, { message, line, column }) {
  const where = line ? `Line ${line}${column ? `, column ${column}` : ""}: ` : "";
  const gutter = `${line} | `;
  const excerpt = line
    ? `<pre class="graph-program-excerpt" aria-hidden="true">${esc(gutter + (program.split("\n")[line - 1] ?? ""))}${column ? `\n${" ".repeat(gutter.length + column - 1)}^` : ""}</pre>`
    : "";
  return `<p class="graph-program-where" data-line="${line || ""}" data-column="${column || ""}"><strong>${where}</strong>the program was not run; the last good graph stays on screen.</p>${excerpt}<p>${esc(message)}</p>`;
}

/** Show the program (unless the student is typing it) and its error, if any. */
function drawEditor(editor, { program, error }) {
  const { textarea } = editor;
  if (document.activeElement !== textarea) textarea.value = program;
  textarea.setAttribute("aria-invalid", Boolean(error));
  const html = error ? errorHtml(textarea.value, error) : "";
  if (html !== editor.html) editor.error.innerHTML = editor.html = html;
}

export { createEditor, drawEditor, guessInputs, readUrlState, writeUrlState };
