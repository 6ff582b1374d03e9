"""The KaTeX process behind `texmath`: JSON requests on stdin, one JSON answer a line on stdout.

A request is {"tex": ..., "display": bool} (or {"ping": true}); the answer {"html": ...} or
{"error": <KaTeX's message, first line>}. It exits when its input closes.
"""

import json
import os
import sys
from pathlib import Path

KATEX_JS = Path(__file__).resolve().parents[2] / "static" / "vendor" / "katex" / "katex.min.js"
RENDER_TIMEOUT_SEC = 5.0

# KaTeX looks for a browser-like global object; V8's bare global has neither name.
PRELUDE = "var self = this; var window = this;"

# Errors come back as the first line of KaTeX's message, never as a stack through minified code.
# `strict`: LaTeX-incompatible input is an error, except Unicode letters such as δ typed directly.
RENDER_JS = r"""
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


def main() -> None:
    from py_mini_racer import MiniRacer

    ctx = MiniRacer()
    ctx.eval(PRELUDE)
    ctx.eval(KATEX_JS.read_text(encoding="utf-8"))
    ctx.eval(RENDER_JS)
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("ping"):
            answer = {"pong": True}
        else:
            tex, display = request["tex"], bool(request["display"])
            answer = ctx.call("renderTex", tex, display, timeout_sec=RENDER_TIMEOUT_SEC)
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    # Left to the garbage collector, MiniRacer's event-loop thread can keep the interpreter from
    # exiting: close it, then leave without running any more finalizers.
    ctx.close()
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
