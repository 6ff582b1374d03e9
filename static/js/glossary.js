// Glossary terms in a lesson. CSS shows a term's definition on hover and on keyboard focus; this
// module adds what CSS cannot (WCAG 1.4.13): a tap or click pins the definition open, a second
// one closes it, Escape dismisses it, and the box is nudged to stay inside the window.

const MARGIN = 8; // px kept between a definition and the window's edge

let documentListening = false;

function definitionOf(term) {
  return term.querySelector(".term-definition");
}

/** Shift the definition sideways (via --term-shift) so that it stays inside the window. */
function keepInView(term) {
  const box = definitionOf(term);
  if (!box) return;
  box.style.setProperty("--term-shift", "0px");
  const rect = box.getBoundingClientRect();
  if (rect.width === 0) return; // not shown
  const width = document.documentElement.clientWidth;
  let shift = 0;
  if (rect.right > width - MARGIN) shift = width - MARGIN - rect.right;
  if (rect.left + shift < MARGIN) shift = MARGIN - rect.left;
  box.style.setProperty("--term-shift", `${Math.round(shift)}px`);
}

function open(term) {
  term.classList.add("is-open");
  term.classList.remove("is-dismissed");
  keepInView(term);
}

function close(term) {
  term.classList.remove("is-open");
  term.classList.add("is-dismissed");
}

function closeAllExcept(keep) {
  for (const term of document.querySelectorAll(".term.is-open")) {
    if (term !== keep) close(term);
  }
}

function onDocumentPointerDown(event) {
  // A tap anywhere else closes pinned definitions.
  const inside = event.target instanceof Element ? event.target.closest(".term") : null;
  closeAllExcept(inside);
}

function onDocumentKeyDown(event) {
  if (event.key !== "Escape") return;
  for (const term of document.querySelectorAll(".term")) {
    if (term.classList.contains("is-open") || term.matches(":hover, :focus-within")) close(term);
  }
}

/** Make one `.term` element (a button plus its definition) tappable and dismissable. */
export function mount(term, _config) {
  const button = term.querySelector(".term-button");
  if (!button) return;

  button.addEventListener("click", function onClick(_event) {
    if (term.classList.contains("is-open")) close(term);
    else {
      closeAllExcept(term);
      open(term);
    }
  });

  term.addEventListener("mouseenter", function onEnter(_event) {
    requestAnimationFrame(() => keepInView(term));
  });
  term.addEventListener("focusin", function onFocusIn(_event) {
    requestAnimationFrame(() => keepInView(term));
  });

  // Once the pointer and the focus have both left, the term shows again on the next hover.
  term.addEventListener("mouseleave", function onLeave(_event) {
    if (!term.matches(":focus-within")) term.classList.remove("is-dismissed");
  });
  term.addEventListener("focusout", function onFocusOut(event) {
    if (term.contains(event.relatedTarget)) return;
    term.classList.remove("is-open");
    if (!term.matches(":hover")) term.classList.remove("is-dismissed");
  });

  if (!documentListening) {
    documentListening = true;
    document.addEventListener("pointerdown", onDocumentPointerDown);
    document.addEventListener("keydown", onDocumentKeyDown);
  }
}
