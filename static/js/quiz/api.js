// The quiz's three calls to the server, with every failure turned into a sentence to show.
import { ApiError, request } from "../api.js";

function quizPath(lesson) {
  return `lessons/${encodeURIComponent(lesson)}/quiz`;
}

/** The questions (choices in this learner's order) and the learner's progress. */
function loadQuiz(lesson) {
  return request(quizPath(lesson));
}

/** Send one answer; the reply says whether it was right, why, and the new progress. */
function sendAnswer(lesson, question, choice) {
  return request(`${quizPath(lesson)}/${encodeURIComponent(question)}/answer`, {
    body: { choice },
  });
}

/** Start a new round ("Try again"): same shape as loadQuiz, choices in a new order. */
function startOver(lesson) {
  return request(`${quizPath(lesson)}/reset`, { body: {} });
}

// QuizApiError: the name quiz code knew the shared ApiError by.
export { ApiError as QuizApiError, loadQuiz, sendAnswer, startOver };
