// The course page's practice line per lesson ([data-practice-progress="<lesson>"]): this
// learner's levels come from GET /api/practice (the page itself is the same for everyone).
import { request } from "../api.js";
import { lessonProgress, progressText } from "./model.js";

const places = document.querySelectorAll("[data-practice-progress]");

async function fill() {
  const { skills } = await request("practice");
  for (const place of places) {
    const text = progressText(lessonProgress(skills, place.dataset.practiceProgress));
    if (text) place.querySelector("[data-field='progress']").textContent = text;
  }
}

if (places.length) fill().catch(() => {}); // the link stays; only the learner's numbers are missing
