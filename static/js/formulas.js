// Display formulas scroll sideways when they are wider than the column. A scrolling box must be
// reachable by keyboard, so each formula that overflows gets a tab stop and a name; the others
// stay out of the tab order.
//
// Sections off screen are not laid out (content-visibility), so a formula is measured when its
// section renders: a ResizeObserver reports it after layout and before paint. Until measured, a
// formula does not scroll (CSS: .formulas-watched), so no unmeasured box is ever a scroll box
// without a tab stop; measured wide ones become scroll boxes in the same frame.

function update(display) {
  const wide = display.scrollWidth > display.clientWidth + 1;
  display.classList.toggle("is-wide", wide);
  if (wide && !display.hasAttribute("tabindex")) {
    display.setAttribute("tabindex", "0");
    display.setAttribute("role", "group");
    display.setAttribute("aria-label", "Wide formula: scroll sideways to read all of it");
  } else if (!wide && display.hasAttribute("tabindex")) {
    display.removeAttribute("tabindex");
    display.removeAttribute("role");
    display.removeAttribute("aria-label");
  }
}

/** Watch every display formula inside `element` and keep its tab stop in step with its width. */
export function mount(element, _config) {
  const displays = element.querySelectorAll(".katex-display");
  if (!displays.length) return;
  const observer = new ResizeObserver((entries) => {
    for (const entry of entries) update(entry.target);
  });
  for (const display of displays) observer.observe(display);
  element.classList.add("formulas-watched");
}
