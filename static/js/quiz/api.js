// The quiz's three calls to the server, with every failure turned into a sentence to show.
import { apiUrl } from "../config.js";

/** A failed call: `message` is a sentence for the student, `status` the HTTP status (0: none). */
class QuizApiError extends Error {
  constructor(message, status = 0) {
    super(message);
    this.name = "QuizApiError";
    this.status = status;
  }
}

/** One request to the quiz API; resolves to the JSON answer or rejects with a QuizApiError. */
async function request(path, body) {
  const init = { headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    init.method = "POST";
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(apiUrl(path), init);
  } catch (_error) {
    throw new QuizApiError("The server cannot be reached. Check your connection and try again.");
  }
  let data = null;
  try {
    data = await response.json();
  } catch (_error) {
    data = null;
  }
  if (!response.ok || data === null) {
    const reason = data?.message ? data.message : `The server answered ${response.status}.`;
    throw new QuizApiError(reason, response.status);
  }
  return data;
}

function quizPath(lesson) {
  return `lessons/${encodeURIComponent(lesson)}/quiz`;
}

/** The questions (choices in this learner's order) and the learner's progress. */
function loadQuiz(lesson) {
  return request(quizPath(lesson));
}

/** Send one answer; the reply says whether it was right, why, and the new progress. */
function sendAnswer(lesson, question, choice) {
  return request(`${quizPath(lesson)}/${encodeURIComponent(question)}/answer`, { choice });
}

/** Start a new round ("Try again"): same shape as loadQuiz, choices in a new order. */
function startOver(lesson) {
  return request(`${quizPath(lesson)}/reset`, {});
}

export { loadQuiz, QuizApiError, sendAnswer, startOver };
