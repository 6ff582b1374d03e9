"""TeX to HTML with KaTeX, each formula typeset once, by V8 (mini-racer) in a helper process.

KaTeX's default output is HTML for the eye plus MathML for screen readers; the MathML keeps the
TeX source in `<annotation encoding="application/x-tex">`. Pages need no script to read a formula.

V8 lives in a child process (`lessonengine.content.katex_worker`), not in the server: a V8
context costs about 55 MB of resident memory for the life of a process, and the server only
typesets while it loads its lessons. `release()` stops the child once that is done; a later
formula starts it again.
"""

import atexit
import json
import os
import select
import subprocess
import sys
import threading
from collections import OrderedDict

# A formula that takes longer than this to typeset is a bug (or an attack), not a formula.
RENDER_TIMEOUT_SEC = 5.0
# Starting the child (Python, V8, KaTeX's 270 KB script) takes well under this.
START_TIMEOUT_SEC = 30.0
CACHE_SIZE = 4096


class TexError(ValueError):
    """A formula KaTeX cannot typeset: `tex` is the source, `message` is KaTeX's reason."""

    def __init__(self, tex: str, message: str):
        super().__init__(f"cannot typeset ${tex}$: {message}")
        self.tex = tex
        self.message = message


class _Renderer:
    """A KaTeX child process spoken to in JSON lines; `renders` counts the formulas it typeset."""

    def __init__(self):
        self.pid = os.getpid()
        self.renders = 0
        self._process = subprocess.Popen(
            [sys.executable, "-m", "lessonengine.content.katex_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self._ask({"ping": True}, START_TIMEOUT_SEC)

    def _ask(self, request: dict, timeout: float) -> dict:
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        ready, _, _ = select.select([self._process.stdout], [], [], timeout)
        line = self._process.stdout.readline() if ready else ""
        if not line:
            self._process.kill()
            raise RuntimeError("the KaTeX process did not answer in time or stopped")
        return json.loads(line)

    def render(self, tex: str, display: bool) -> str:
        self.renders += 1
        try:
            result = self._ask({"tex": tex, "display": display}, RENDER_TIMEOUT_SEC)
        except RuntimeError as exc:
            raise TexError(tex, f"typesetting failed: {exc}") from None
        if "error" in result:
            # KaTeX underlines the faulty span with U+0332; plain text reads better in a log.
            raise TexError(tex, result["error"].replace("\u0332", ""))
        return result["html"]

    def alive(self) -> bool:
        return self.pid == os.getpid() and self._process.poll() is None

    def close(self) -> None:
        """End the child: closing its input makes it exit; a stuck one is killed."""
        if self.pid != os.getpid():
            return  # a copy inherited through fork(): the child belongs to the parent
        try:
            self._process.stdin.close()
            self._process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait()
        self._process.stdout.close()


_lock = threading.Lock()
_renderer: _Renderer | None = None
_cache: OrderedDict[tuple[str, bool], str] = OrderedDict()
_stats = {"hits": 0, "misses": 0, "renders": 0}


def _get_renderer() -> _Renderer:
    # Called with _lock held. After fork() or a crash of the child, start a fresh one.
    global _renderer
    if _renderer is None or not _renderer.alive():
        _renderer = _Renderer()
    return _renderer


def release() -> None:
    """Stop the KaTeX process (typeset formulas stay cached); call when the lessons are loaded."""
    global _renderer
    with _lock:
        renderer, _renderer = _renderer, None
        if renderer is not None:
            renderer.close()


atexit.register(release)


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
        _stats["renders"] += 1
        _cache[key] = html
        if len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
        return html


def cache_info() -> dict:
    """Hits, misses and size of the formula cache, and how many formulas KaTeX typeset."""
    with _lock:
        return {**_stats, "size": len(_cache)}


def clear_cache() -> None:
    """Forget every typeset formula (the KaTeX process, if running, stays)."""
    with _lock:
        _cache.clear()
        _stats.update(hits=0, misses=0)
