// Formulas the server left as TeX (`<span class="tex-source" data-tex data-display>`, see
// webapp/practice.py), typeset here by the vendored KaTeX with the options the lessons are typeset
// with on the server, so they look the same and carry MathML for screen readers. KaTeX itself is
// loaded once, lazily, by the graph widget's loader.
import { loadKatex } from "./graph/tex.js";

const OPTIONS = {
  output: "htmlAndMathml",
  throwOnError: true,
  // As lessonengine/content/katex_worker.py: only Unicode letters typed directly are let through.
  strict: (code) => (code === "unicodeTextInMathMode" ? "ignore" : "error"),
  trust: false,
};

/**
 * Typeset every placeholder inside `root` now, if KaTeX is loaded (else leave them as their TeX
 * source, which reads as text). Each becomes KaTeX's own markup, as in a lesson. Returns how many
 * are left untypeset.
 */
function typesetNow(root) {
  const katex = globalThis.katex;
  let left = 0;
  for (const source of root.querySelectorAll(".tex-source[data-tex]")) {
    if (!katex) {
      left += 1;
      continue;
    }
    try {
      const html = katex.renderToString(source.dataset.tex, {
        ...OPTIONS,
        displayMode: source.dataset.display === "true",
      });
      const template = document.createElement("template");
      template.innerHTML = html;
      source.replaceWith(template.content);
    } catch (_error) {
      left += 1; // never a red error box in front of a student: the TeX source stays
    }
  }
  return left;
}

/** Load KaTeX (once), then typeset the placeholders inside `root`. */
async function typeset(root) {
  await loadKatex().catch(() => null); // without KaTeX the TeX source is the fallback
  return typesetNow(root);
}

export { loadKatex, typeset, typesetNow };
