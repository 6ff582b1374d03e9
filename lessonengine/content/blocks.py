"""The `:::` blocks of a lesson's Markdown and the HTML each one opens and closes with.

::: refresher Title / ::: legend / ::: note Title / ::: key Title / ::: deeper Title
::: widget NAME key=value ...
"""

import html
import re
import shlex
from collections.abc import Callable

NAME = re.compile(r"^[a-z][a-z0-9-]*$")
BLOCKS = ("refresher", "legend", "note", "key", "deeper", "widget")
DEEPER = "Going deeper"


class Problem(Exception):
    """A fault in a lesson's Markdown; the caller knows which file it is and says so."""

    def __init__(self, message: str, line: int | None = None, cause: Exception | None = None):
        super().__init__(message)
        self.line = line
        self.cause = cause


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def block_html(
    info: str, lesson_id: str | None, serial: int, render_inline: Callable[[str], str]
) -> tuple[str, str]:
    """The opening and closing HTML of a `::: name params` block; raise Problem if malformed.

    `render_inline` typesets a title (Markdown with TeX) the way the lesson's text is.
    """
    name, _, params = info.strip().partition(" ")
    params = params.strip()
    if not name:
        raise Problem(f"a ':::' block needs a name (one of: {', '.join(BLOCKS)})")
    if name not in BLOCKS:
        raise Problem(f"unknown block '::: {name}' (known blocks: {', '.join(BLOCKS)})")
    if name == "refresher":
        title = render_inline(params or "Quick refresher")
        label = f"refresher-{serial}"
        return (
            f'<section class="card refresher" aria-labelledby="{label}">\n'
            f'<p class="card-title" id="{label}">{title}</p>\n',
            "</section>\n",
        )
    if name == "legend":
        if params:
            raise Problem("'::: legend' takes no parameters")
        return '<div class="legend" role="group" aria-label="Symbols">\n', "</div>\n"
    if name in ("note", "key"):
        title = params or ("Key idea" if name == "key" else "")
        heading = f'<p class="callout-title">{render_inline(title)}</p>\n' if title else ""
        return f'<div class="callout callout-{name}" role="note">\n{heading}', "</div>\n"
    if name == "deeper":
        # <details> opens and closes with Enter or Space on its summary, with no script; the
        # core reading stays short and the depth is one keypress away.
        title = f"{DEEPER}: {render_inline(params)}" if params else DEEPER
        return (
            f'<details class="callout callout-deeper">\n<summary class="deeper-title">{title}'
            "</summary>\n",
            "</details>\n",
        )
    # widget NAME key=value ...
    try:
        words = shlex.split(params)
    except ValueError as exc:
        raise Problem(f"'::: widget {params}': {exc}") from None
    if not words or not NAME.match(words[0]):
        raise Problem("'::: widget' needs a name, e.g. '::: widget graph preset=neuron'")
    widget, attrs = words[0], {}
    for word in words[1:]:
        key, eq, value = word.partition("=")
        if not eq or not NAME.match(key) or key in ("widget", "lesson"):
            raise Problem(f"'::: widget {widget}': '{word}' is not a key=value setting")
        attrs[key] = value
    data = f' data-widget="{widget}"'
    if lesson_id:
        data += f' data-lesson="{_attr(lesson_id)}"'
    data += "".join(f' data-{key}="{_attr(value)}"' for key, value in attrs.items())
    return (
        f'<div class="widget widget-{widget}"{data}>\n<div class="widget-fallback">\n',
        "</div>\n</div>\n",
    )
