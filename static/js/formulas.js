// Display formulas scroll sideways when they are wider than the column. A scrolling box must be
// reachable by keyboard, so each formula that overflows gets a tab stop and a name; the others
// stay out of the tab order.

function update(display) {
  const overflows = display.scrollWidth > display.clientWidth + 1;
  if (overflows && !display.hasAttribute("tabindex")) {
    display.setAttribute("tabindex", "0");
    display.setAttribute("role", "group");
    display.setAttribute("aria-label", "Wide formula: scroll sideways to read all of it");
  } else if (!overflows && display.hasAttribute("tabindex")) {
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
  for (const display of displays) {
    update(display);
    observer.observe(display);
  }
}
