"""The lesson's plots: plotly figures built from the engine, with their text alternative."""

from flask import jsonify, request

from lessonengine.errors import GraphError
from lessonengine.figures import FigureInputError, UnknownFigure, build
from webapp.api import bp
from webapp.errors import ApiError


@bp.get("/plots/<figure>")
def plot(figure):
    """One figure as plotly JSON, its caption and a text alternative with the current numbers."""
    try:
        answer = build(figure, request.args)
    except UnknownFigure as exc:
        raise ApiError(404, exc.message) from None
    except FigureInputError as exc:
        raise ApiError(400, exc.message, field=exc.field) from None
    except GraphError as exc:  # the engine refused the values: say why, never a 500
        raise ApiError(400, exc.message) from None
    return jsonify(answer)
