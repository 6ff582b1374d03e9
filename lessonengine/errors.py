"""Errors of the engine: every bad program or value is a GraphError (the API answers 400)."""


class GraphError(ValueError):
    """A program or its values cannot be turned into a graph; says where when it knows."""

    def __init__(self, message, line=None, column=None, node=None):
        super().__init__(message)
        self.message = message
        self.line = line  # 1-based line of the program, when the program is at fault
        self.column = column  # 1-based column (characters, not bytes)
        self.node = node  # id of the node at fault, when there is one

    def to_dict(self):
        """The fields the API adds to its error body: message, and line/column/node when known."""
        out = {"message": self.message}
        for key in ("line", "column", "node"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


class ProgramError(GraphError):
    """The program breaks the grammar: a syntax error, a forbidden construct, a bad name."""


class LimitError(GraphError):
    """The program or its values go past a limit that keeps the server safe."""


class InputError(GraphError):
    """A value given for an input is missing, malformed, non-finite or too large."""


class EvaluationError(GraphError):
    """The forward or backward pass failed at a node: shapes, inf/NaN, a domain error."""


class NotFoundError(LookupError):
    """An unknown preset or node (the API answers 404)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message
