"""The engine's entry points where the web layer and content have always imported them.

The engine itself lives in `lessonengine.engine` (one module per concern); this module only
re-exports what callers outside it use.
"""

from lessonengine.engine import CONST, INPUT, Graph, Program, clear_cache, compute, parse
from lessonengine.engine.program import MAX_PROGRAM_CHARS

__all__ = [
    "CONST",
    "INPUT",
    "MAX_PROGRAM_CHARS",
    "Graph",
    "Program",
    "clear_cache",
    "compute",
    "parse",
]
