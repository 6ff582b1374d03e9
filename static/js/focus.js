// Keyboard use of a page whose widgets load late. A widget that will hold controls is a tab stop
// from page load: focusing it wakes (mounts) it, and focus moves on to its first control as soon
// as that exists. And whatever has focus stays in view when content appears above it.

const CONTROLS =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), ' +
  'textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

// How long a Tab on a loading widget waits for its controls (plotly.js on a slow phone link).
const HOLD_TAB_MS = 8000;

/** The first control inside `element` that a Tab could reach, or null. */
function firstControl(element) {
  for (const control of element.querySelectorAll(CONTROLS)) {
    if (control === element) continue;
    const shown = control.checkVisibility
      ? control.checkVisibility()
      : !control.closest("[hidden]");
    if (shown) return control;
  }
  return null;
}

/**
 * Make `element` a tab stop named `label` until it holds a control of its own. Focus reaching it
 * (or anything in it) calls `wake()` once; when its first control appears (or, with
 * `readyEvent`, when the element dispatches that event), the tab stop goes and, if the student
 * is still on it, focus moves to that control.
 */
function holdTabStop(element, label, wake, { readyEvent = null } = {}) {
  let woken = false;
  let wokenAt = 0;
  element.addEventListener("focusin", function onFocusIn(_event) {
    if (woken) return;
    woken = true;
    wokenAt = Date.now();
    wake();
  });
  if (firstControl(element)) return;
  element.setAttribute("tabindex", "0");
  element.setAttribute("role", "group");
  element.setAttribute("aria-label", label);
  element.classList.add("is-tab-stop");

  // A Tab pressed on the stop before its controls exist would jump past them, to whatever
  // follows the widget: hold it, and the release below moves focus to the first control, where
  // that Tab would have gone. Not for ever: a widget that failed, or takes too long, lets Tab on.
  function holdTab(event) {
    if (event.key !== "Tab" || event.shiftKey || event.target !== element) return;
    if (element.querySelector(".widget-error") || Date.now() - wokenAt > HOLD_TAB_MS) return;
    event.preventDefault();
  }
  element.addEventListener("keydown", holdTab);

  function release() {
    const control = firstControl(element);
    if (!control) return;
    observer?.disconnect();
    element.removeEventListener("keydown", holdTab);
    const focused = document.activeElement === element;
    element.removeAttribute("tabindex");
    element.removeAttribute("role");
    element.removeAttribute("aria-label");
    element.classList.remove("is-tab-stop");
    if (focused) control.focus(); // focus() brings it into view
  }

  let observer = null;
  if (readyEvent) element.addEventListener(readyEvent, release, { once: true });
  else {
    observer = new MutationObserver(release);
    observer.observe(element, { childList: true, subtree: true, attributes: true });
  }
}

function inView(element) {
  const rect = element.getBoundingClientRect();
  return rect.bottom > 0 && rect.top < window.innerHeight;
}

let watching = false;

/**
 * Keep the focused element in view when the page's layout changes above it (a widget mounting,
 * a section rendered for the first time): a student's own scrolling is left alone.
 */
function keepFocusInView(root) {
  if (watching || !("ResizeObserver" in window)) return;
  watching = true;
  let seen = null; // the focused element, while it was in view at the last look
  const look = () => {
    const focused = document.activeElement;
    seen = focused && focused !== document.body && inView(focused) ? focused : null;
  };
  document.addEventListener("focusin", () => requestAnimationFrame(look));
  window.addEventListener("scroll", look, { passive: true });
  const observer = new ResizeObserver(function onResize(_entries) {
    const focused = document.activeElement;
    if (seen && focused === seen && !inView(focused)) {
      focused.scrollIntoView({ block: "nearest" });
    }
    look();
  });
  for (const child of root.children) observer.observe(child);
  observer.observe(root);
}

/**
 * Click handler of an in-page link (href="#id"): following it scrolls to its target but leaves
 * focus on <body> when the target (a heading) is not focusable. Make the target focusable from
 * script only (tabindex -1) and focus it once the browser has scrolled, so the next Tab goes on
 * from there; keepFocusInView keeps it in view while the content above it lays out.
 */
function focusLinkTarget(event) {
  const hash = event.currentTarget.hash;
  const target = hash && document.getElementById(decodeURIComponent(hash.slice(1)));
  if (!target) return;
  if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
  requestAnimationFrame(() => target.focus({ preventScroll: true }));
}

export { firstControl, focusLinkTarget, holdTabStop, keepFocusInView };
