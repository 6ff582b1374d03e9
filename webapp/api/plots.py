"""The lesson's plots: plotly figures built from the engine, with their text alternative."""

from flask import jsonify, request

from lessonengine.errors import GraphError
from lessonengine.figures import FigureInputError, UnknownFigure, build
from webapp.api import bp
from webapp.api.openapi import error_response, error_schema, ok, ref
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


# --- The OpenAPI section of these routes ---------------------------------------------------


def openapi_section():
    """These routes' part of the OpenAPI document: (paths, schemas)."""
    from lessonengine.figures import FIGURES, INPUTS, NEURON_FIGURES

    schemas = {
        "PlotError": error_schema(
            "An Error; `field` names the query parameter at fault, when one is.",
            field={"type": "string", "enum": [spec.name for spec in INPUTS]},
        ),
        "PlotInput": {
            "type": "object",
            "description": "A value of the neuron the page offers as a number input, with the "
            "engine's rule for it (the same as the graph's controls apply).",
            "required": ["name", "label", "min", "max", "step", "range"],
            "properties": {
                "name": {"type": "string"},
                "label": {"type": "string"},
                "min": {"type": "number"},
                "max": {"type": "number"},
                "step": {"type": "number"},
                "range": {
                    **ref("RangeOrNull"),  # the graph section's schema
                    "description": "The op table's range for this input, as the graph's `range` "
                    "of the same input ({min, max, min_open, max_open}); null: any number from "
                    "min to max (the engine's limit).",
                },
            },
        },
        "PlotResponse": {
            "type": "object",
            "required": ["figure", "alt", "caption"],
            "properties": {
                "figure": {
                    "type": "object",
                    "description": "A plotly figure: draw it with Plotly.react(el, data, layout).",
                    "required": ["data", "layout"],
                    "properties": {
                        "data": {"type": "array", "items": {"type": "object"}},
                        "layout": {"type": "object"},
                    },
                },
                "alt": {
                    "type": "string",
                    "description": "A text alternative that states what the plot shows, with the "
                    "current numbers.",
                },
                "caption": {"type": "string"},
                "values": {
                    "type": "object",
                    "description": "The neuron's values the figure was drawn for (neuron "
                    "figures): the given ones, the `neuron` preset's for the others.",
                    "additionalProperties": {"type": "number"},
                },
                "inputs": {"type": "array", "items": ref("PlotInput")},
                "program": {"type": "string", "description": "The growing network (cost)."},
                "points": {
                    "type": "array",
                    "description": "The cost figure's counts, one per network size.",
                    "items": {
                        "type": "object",
                        "required": ["parameters", "forward", "backprop", "finite_differences"],
                        "properties": {
                            name: {"type": "integer", "minimum": 1}
                            for name in ("parameters", "forward", "backprop", "finite_differences")
                        },
                    },
                },
            },
        },
    }
    parameters = [
        {
            "name": "figure",
            "in": "path",
            "required": True,
            "description": f"Which figure: {', '.join(FIGURES)}. The neuron figures "
            f"({', '.join(NEURON_FIGURES)}) take the neuron's values; cost takes none.",
            "schema": {"type": "string", "enum": list(FIGURES)},
        },
        *(
            {
                "name": spec.name,
                "in": "query",
                "required": False,
                "description": f"{spec.label}, from {spec.min:,g} to {spec.max:,g} (default: the "
                "neuron preset's).",
                "schema": {"type": "number", "minimum": spec.min, "maximum": spec.max},
            }
            for spec in INPUTS
        ),
    ]

    def plot_error(description):
        return error_response("PlotError", description)

    paths = {
        "/api/plots/{figure}": {
            "get": {
                "summary": "A plot of the lesson as plotly JSON, with a caption and a text "
                "alternative.",
                "operationId": "plotFigure",
                "parameters": parameters,
                "responses": {
                    "200": ok("The figure.", ref("PlotResponse")),
                    "400": plot_error(
                        "A value is empty, not a number, not finite, past the engine's limit or "
                        "outside its op's range, or the engine cannot score the neuron on them."
                    ),
                    "404": plot_error("There is no figure by that name."),
                },
            }
        }
    }
    return paths, schemas
