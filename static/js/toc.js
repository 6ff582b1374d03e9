// The contents list shows which section is being read: its link carries aria-current="location"
// (CSS draws it), the last section whose top has passed the upper third of the window. A link
// followed takes focus to its section's heading, so the next Tab goes on from there.
import { focusLinkTarget } from "./focus.js";

/** Follow the reader's place in the sections of the page and mark it in the list `nav`. */
function mount(nav, _config) {
  const links = new Map();
  for (const link of nav.querySelectorAll('a[href^="#"]')) {
    links.set(decodeURIComponent(link.hash.slice(1)), link);
  }
  const sections = [...document.querySelectorAll("section[aria-labelledby]")].filter((section) =>
    links.has(section.getAttribute("aria-labelledby")),
  );
  if (!sections.length) return;
  let current = null;
  let queued = false;

  function update() {
    queued = false;
    const line = window.innerHeight / 3;
    // A section's own box only: its contents may not be laid out yet (content-visibility).
    let reading = null;
    for (const section of sections) {
      if (section.getBoundingClientRect().top <= line) reading = section;
      else break;
    }
    const link = reading ? links.get(reading.getAttribute("aria-labelledby")) : null;
    if (link === current) return;
    current?.removeAttribute("aria-current");
    link?.setAttribute("aria-current", "location");
    current = link;
  }

  function onScroll(_event) {
    if (queued) return;
    queued = true;
    requestAnimationFrame(update);
  }

  for (const link of links.values()) link.addEventListener("click", focusLinkTarget);
  window.addEventListener("scroll", onScroll, { passive: true });
  window.addEventListener("resize", onScroll, { passive: true });
  update();
}

export { mount };
