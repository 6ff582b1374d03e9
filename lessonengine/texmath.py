"""TeX to HTML with KaTeX, run inside the Python process by V8 (mini-racer), each formula once.

KaTeX's default output is HTML for the eye plus MathML for screen readers; the MathML keeps the
TeX source in `<annotation encoding="application/x-tex">`. Pages need no script to read a formula.
"""

import atexit
import os
import threading
from collections import OrderedDict
from pathlib import Path

KATEX_VERSION = "0.19.1"
KATEX_JS = Path(__file__).resolve().parent.parent / "static" / "vendor" / "katex" / "katex.min.js"

# A formula that takes longer than this to typeset is a bug (or an attack), not a formula.
RENDER_TIMEOUT_SEC = 5.0
CACHE_SIZE = 4096

# KaTeX looks for a browser-like global object; V8's bare global has neither name.
_PRELUDE = "var self = this; var window = this;"

# Errors come back as the first line of KaTeX's message, never as a stack through minified code.
# `strict`: LaTeX-incompatible input is an error, except Unicode letters such as δ typed directly.
_RENDER_JS = r"""
function renderTex(tex, display) {
  try {
    var html = katex.renderToString(tex, {
      displayMode: display,
      throwOnError: true,
      strict: function (code) { return code === "unicodeTextInMathMode" ? "ignore" : "error"; },
      trust: false
    });
    return { html: html };
  } catch (e) {
    var message = String((e && e.message) || e).split("\n")[0];
    return { error: message };
  }
}
"""


class TexError(ValueError):
    """A formula KaTeX cannot typeset: `tex` is the source, `message` is KaTeX's reason."""

    def __init__(self, tex: str, message: str):
        super().__init__(f"cannot typeset ${tex}$: {message}")
        self.tex = tex
        self.message = message


class _Renderer:
    """One V8 context with KaTeX loaded; `renders` counts the formulas it actually typeset."""

    def __init__(self, script: Path = KATEX_JS):
        from py_mini_racer import MiniRacer

        self.pid = os.getpid()
        self.renders = 0
        self._ctx = MiniRacer()
        self._ctx.eval(_PRELUDE)
        self._ctx.eval(script.read_text(encoding="utf-8"))
        self._ctx.eval(_RENDER_JS)

    def close(self) -> None:
        """Stop V8 and its event-loop thread (in the process that started them)."""
        if self.pid == os.getpid():
            self._ctx.close()
        else:
            # A copy made by fork(): its thread did not survive, and freeing it would wait for
            # that thread forever. Keep it, unused, for the life of the process.
            _forked_leftovers.append(self)

    def render(self, tex: str, display: bool) -> str:
        self.renders += 1
        result = self._ctx.call("renderTex", tex, display, timeout_sec=RENDER_TIMEOUT_SEC)
        if "error" in result:
            # KaTeX underlines the faulty span with U+0332; plain text reads better in a log.
            raise TexError(tex, result["error"].replace("\u0332", ""))
        return result["html"]


_lock = threading.Lock()
_renderer: _Renderer | None = None
_forked_leftovers: list[_Renderer] = []
_cache: OrderedDict[tuple[str, bool], str] = OrderedDict()
_stats = {"hits": 0, "misses": 0}


def _get_renderer() -> _Renderer:
    # Called with _lock held. A V8 context does not survive fork(): a forked worker makes its own.
    global _renderer
    if _renderer is not None and _renderer.pid != os.getpid():
        _renderer.close()
        _renderer = None
    if _renderer is None:
        _renderer = _Renderer()
    return _renderer


def _close_renderer() -> None:
    global _renderer
    with _lock:
        renderer, _renderer = _renderer, None
        if renderer is not None:
            renderer.close()


# Left to the garbage collector at interpreter shutdown, MiniRacer joins its event-loop thread
# after daemon threads are frozen, and the process never exits: close it at exit. A V8 context
# and its thread do not survive fork() either (gunicorn's preload, multiprocessing): close it
# before forking; parent and child each start a fresh one when they next need it.
atexit.register(_close_renderer)
os.register_at_fork(before=_close_renderer)


def render_tex(tex: str, display: bool = False) -> str:
    """Typeset `tex` with KaTeX (display or inline style) as HTML + MathML; raise TexError."""
    if not isinstance(tex, str):
        raise TypeError(f"render_tex wants a str, got {type(tex).__name__}")
    key = (tex, bool(display))
    with _lock:
        html = _cache.get(key)
        if html is not None:
            _cache.move_to_end(key)
            _stats["hits"] += 1
            return html
        _stats["misses"] += 1
        html = _get_renderer().render(tex, bool(display))
        _cache[key] = html
        if len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
        return html


def cache_info() -> dict:
    """Hits, misses and size of the formula cache, and how many formulas V8 typeset."""
    with _lock:
        renders = _renderer.renders if _renderer else 0
        return {**_stats, "size": len(_cache), "renders": renders}


def clear_cache() -> None:
    """Forget every typeset formula (the V8 context stays loaded)."""
    with _lock:
        _cache.clear()
        _stats.update(hits=0, misses=0)
