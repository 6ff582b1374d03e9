// Formulas in the widget, typeset by the lesson's own KaTeX (the vendored copy, loaded the first
// time a formula is needed; the CSP allows it: a script from this site, no eval). Each formula is
// one role="img" span named by its plain reading, so screen readers and tests read it as text.
import { texText } from "./format.js";

const KATEX_JS = new URL("../../vendor/katex/katex.min.js", import.meta.url);
const KATEX_CSS = new URL("../../vendor/katex/katex.min.css", import.meta.url);
let loading = null;
const cache = new Map();

const esc = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Load KaTeX once (its stylesheet too, where the page has none); resolves when it can typeset. */
function loadKatex() {
  if (globalThis.katex) return Promise.resolve(globalThis.katex);
  if (!loading) {
    if (!document.querySelector('link[href*="katex.min.css"]')) {
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = KATEX_CSS.href;
      document.head.append(link);
    }
    // katex.min.js is a UMD script: imported as a module it defines self.katex.
    loading = import(KATEX_JS.href).then(() => globalThis.katex);
  }
  return loading;
}

/** Is KaTeX here yet (formulas typeset), or do they show as plain text for now? */
const katexReady = () => Boolean(globalThis.katex);

/**
 * One formula as HTML: KaTeX's HTML (plain text until it loads), named by its reading. `big`
 * sets fractions at full size inside a line (the panel's rules), `display` on a line of their own.
 */
function texHtml(tex, { display = false, big = false } = {}) {
  const key = `${display}${big}${tex}`;
  if (cache.has(key)) return cache.get(key);
  const reading = texText(tex);
  let inner = esc(reading);
  if (globalThis.katex) {
    try {
      inner = globalThis.katex.renderToString(big ? `\\displaystyle ${tex}` : tex, {
        output: "html",
        displayMode: display,
        throwOnError: true,
      });
    } catch (_error) {
      inner = esc(reading); // never a red error box in front of a student: the reading instead
    }
  }
  const html = `<span class="tex${display ? " tex-display" : ""}" role="img" aria-label="${esc(reading)}">${inner}</span>`;
  if (globalThis.katex) cache.set(key, html);
  return html;
}

/** A sentence of parts (text, or {tex}) as HTML. */
const partsHtml = (parts) =>
  parts.map((p) => (typeof p === "string" ? esc(p) : texHtml(p.tex))).join("");

export { esc, katexReady, loadKatex, partsHtml, texHtml };
