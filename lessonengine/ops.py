"""The op table, where content and the web layer have always imported it (see engine/ops)."""

from lessonengine.engine.ops import MATMUL, OPS, REDUCTION

__all__ = ["MATMUL", "OPS", "REDUCTION"]
