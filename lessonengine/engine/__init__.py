"""The autodiff engine: programs, the op table, forward and backward passes, the gradient check,
TeX, JSON views and a cache. Knows nothing of content, assessment or the web.

- `program`: the parser and its limits (`parse`, `Program`, `Node`, `topological_order`);
- `ops`: the one table of operations (`OPS`), one row per op;
- `matmul`: the matrix product's rules, one for each orientation of its operands;
- `graph`: a program run on values (`Graph`): forward, backward, local gradients, notes;
- `gradcheck`: central finite differences with a verdict per input;
- `tex`: every TeX string (names, expressions, rules, numbers);
- `views`: the JSON of a graph and of one node;
- `narration`: each node's forward and backward step in words, with its numbers (in the JSON);
- `cache`: `compute`, the cached entry point the web layer calls.
- `presets`: the lesson's example graphs, each a program with default values.
"""

from lessonengine.engine.cache import clear_cache, compute
from lessonengine.engine.graph import Graph
from lessonengine.engine.program import CONST, INPUT, Node, Program, parse, topological_order

__all__ = [
    "CONST",
    "INPUT",
    "Graph",
    "Node",
    "Program",
    "clear_cache",
    "compute",
    "parse",
    "topological_order",
]
