// The quiz's markup: built once per round from the server's questions; quiz.js's draw() then only
// toggles attributes, classes and the text of what the student has answered.
import { element } from "../dom.js";
import { focusLinkTarget } from "../focus.js";

/** A span holding HTML the server rendered from the lesson's own content (Markdown and KaTeX). */
function serverHtml(tag, className, html) {
  const node = element(tag, { class: className });
  node.innerHTML = html;
  return node;
}

/** The heading level that fits under the nearest heading before `root` (the lesson's "Quiz"). */
function headingLevelAfter(root) {
  let level = 2;
  for (const heading of document.querySelectorAll("h1, h2, h3, h4, h5")) {
    if (heading.compareDocumentPosition(root) & Node.DOCUMENT_POSITION_FOLLOWING) {
      level = Number(heading.tagName[1]) + 1;
    }
  }
  return Math.min(level, 6);
}

/** The quiz's frame: a status line for hints and errors, the questions, and the summary. */
function buildFrame(root, uid) {
  const frame = element("div", { class: "quiz", id: `${uid}` });
  const message = element("p", { class: "quiz-message", role: "status", "aria-live": "polite" });
  const questions = element("div", { class: "quiz-questions" });
  const summary = buildSummary(uid, headingLevelAfter(root));
  frame.append(message, questions, summary.section);
  return { frame, message, questions, summary };
}

/**
 * One question as a form: a real radio group (fieldset, legend, radios with labels), a Check
 * button, a result region announced when it fills, and a Next button.
 */
function buildQuestion(question, index, total, uid) {
  const base = `${uid}-q${index}`;
  const form = element("form", {
    class: "quiz-question",
    "data-question": question.id,
    novalidate: true,
  });
  const fieldset = element("fieldset", { class: "quiz-fieldset" });
  const legend = element("legend", { class: "quiz-legend", tabindex: "-1" });
  const count = element("span", { class: "quiz-count" }, `Question ${index + 1} / ${total}`);
  legend.append(count, serverHtml("span", "quiz-prompt", question.prompt));
  const list = element("div", { class: "quiz-choices" });
  const choices = new Map();
  question.choices.forEach((choice, position) => {
    const id = `${base}-${choice.id}`;
    const row = element("div", { class: "quiz-choice", "data-choice": choice.id });
    const input = element("input", { type: "radio", id, name: base, value: choice.id });
    const label = element("label", { for: id, class: "quiz-choice-label" });
    const tag = element("span", { class: "quiz-tag" });
    // A letter by position: something to say ("I picked B") and a name for every choice even
    // when its text is all math (tools that cannot read MathML still find a label).
    const name = `${String.fromCharCode(65 + position)}.`;
    const letter = element("span", { class: "quiz-choice-letter" }, name);
    label.append(letter, " ", serverHtml("span", "quiz-choice-text", choice.text), tag);
    row.append(input, label);
    list.append(row);
    choices.set(choice.id, { row, input, tag });
  });
  fieldset.append(legend, list);

  const check = element("button", { type: "submit", class: "quiz-button quiz-check" }, "Check");
  // tabindex -1: the summary's "See the explanation" brings focus (and the student) here.
  const result = element("div", {
    class: "quiz-result",
    role: "status",
    "aria-live": "polite",
    tabindex: "-1",
  });
  const next = element(
    "button",
    { type: "button", class: "quiz-button quiz-next" },
    "Next question",
  );
  const actions = element("div", { class: "quiz-actions" });
  actions.append(check, next);
  form.append(fieldset, result, actions);
  return { id: question.id, form, legend, choices, check, result, next, filled: "" };
}

/** Fill a question's result region: verdict, the feedback for the chosen answer, the why. */
function fillResult(parts, answer) {
  const verdict = element("p", { class: "quiz-verdict" });
  const mark = answer.correct ? "✓" : "✗";
  const icon = element("span", { class: "quiz-icon", "aria-hidden": "true" }, mark);
  verdict.append(icon, document.createTextNode(answer.correct ? "Correct." : "Not quite."));
  const feedback = serverHtml("p", "quiz-feedback", answer.feedback);
  const explanation = element("div", { class: "quiz-explanation" });
  const why = element("p");
  why.append(element("strong", {}, "Why: "), serverHtml("span", "", answer.explanation));
  explanation.append(why);
  parts.result.replaceChildren(verdict, feedback, explanation);
}

function buildSummary(uid, level) {
  const section = element("section", {
    class: "quiz-summary",
    "aria-labelledby": `${uid}-summary`,
  });
  const heading = element(
    `h${level}`,
    { id: `${uid}-summary`, class: "quiz-summary-heading", tabindex: "-1" },
    "Your score",
  );
  const score = element("p", { class: "quiz-score" });
  const missedIntro = element("p", { class: "quiz-missed-intro" });
  const missed = element("ol", { class: "quiz-missed" });
  const again = element("button", { type: "button", class: "quiz-button quiz-again" }, "Try again");
  section.append(heading, score, missedIntro, missed, again);
  return { section, heading, score, missedIntro, missed, again };
}

/**
 * The ways back from a missed question: its explanation (quiz.js shows the question again, on a
 * click of the button carrying `data-review`) and the lesson section it tests, when the quiz
 * names one (`section`: the id of a heading on the page).
 */
function missedLinks(question, number) {
  const links = element("p", { class: "quiz-missed-links" });
  const review = element(
    "button",
    { type: "button", class: "quiz-link", "data-review": question.id },
    "See the explanation",
  );
  review.append(element("span", { class: "visually-hidden" }, ` of question ${number}`));
  links.append(review);
  const heading = question.section ? document.getElementById(question.section) : null;
  if (heading) {
    // One text in one span: a flex box would drop the space between two pieces.
    const title = `Reread “${heading.textContent.trim()}”`;
    const read = element("a", { class: "quiz-link", href: `#${question.section}` });
    read.append(element("span", { class: "quiz-link-title" }, title));
    read.addEventListener("click", focusLinkTarget); // focus goes to the section, not to <body>
    links.append(read);
  }
  return links;
}

/** Fill the summary: the score, and each missed question with the answer that was right. */
function fillSummary(summary, questions, progress) {
  summary.score.textContent = `You got ${progress.score} of ${progress.total}.`;
  summary.missedIntro.textContent = progress.missed.length
    ? "Questions to look at again:"
    : "Every answer was right. Try again to see the choices in a new order.";
  const items = [];
  for (const id of progress.missed) {
    const question = questions.find((q) => q.id === id);
    const answer = progress.answered[id];
    if (!question || !answer) continue;
    const right = question.choices.find((c) => c.id === answer.correct_choice);
    const item = element("li", { class: "quiz-missed-item" });
    const number = questions.indexOf(question) + 1;
    const kicker = element("p", { class: "quiz-missed-number" }, `Question ${number}`);
    const prompt = serverHtml("p", "quiz-missed-prompt", question.prompt);
    const line = element("p", { class: "quiz-missed-answer" });
    const answerText = serverHtml("span", "", right ? right.text : "");
    line.append(element("strong", {}, "Correct answer: "), answerText);
    item.append(kicker, prompt, line, missedLinks(question, number));
    items.push(item);
  }
  summary.missed.replaceChildren(...items);
  summary.missed.hidden = items.length === 0;
}

export { buildFrame, buildQuestion, element, fillResult, fillSummary };
