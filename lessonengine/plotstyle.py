"""The look the lesson's plotly figures share: a palette that follows dark mode, axes, layout,
traces, the answer's shape ({"figure", "alt", "caption", ...}) and numbers written for students."""

import numpy as np
import plotly.graph_objects as go

# The palette of the server's figures; static/js/plots/theme.js maps each to a CSS custom property.
PALETTE = {
    "ink": "#1f2328",
    "muted": "#59636e",
    "grid": "#d1d9e0",
    "surface": "#ffffff",
    "blue": "#0072b2",
    "vermillion": "#d55e00",
    "orange": "#e69f00",
    "green": "#009e73",
}
TRANSPARENT = "rgba(0,0,0,0)"
HEIGHT = 320
MINUS = "\u2212"
# plotly's validation of every property costs about 8 ms a figure; the figures are validated by
# the tests (tests/unit/test_figures.py builds each one with validate=True) and not per request.
VALIDATE = False


def fmt(value, digits=3):
    """A number for the student: fixed decimals, a real minus sign, never -0."""
    text = f"{value:.{digits}f}"
    if float(text) == 0:
        text = f"{0:.{digits}f}"
    return text.replace("-", MINUS)


def fmt_count(value):
    """A count of operations in words a student reads easily: 13,204 or 18.7 million."""
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f} million"
    return f"{value:,}"


def axis(title, **extra):
    return {
        "title": {"text": title, "font": {"color": PALETTE["ink"]}},
        "gridcolor": PALETTE["grid"],
        "linecolor": PALETTE["muted"],
        "zerolinecolor": PALETTE["grid"],
        "tickfont": {"color": PALETTE["ink"]},
        "showline": True,
        "fixedrange": True,  # no zoom or pan: a swipe over the plot scrolls the page
        "automargin": True,
        **extra,
    }


def plot_layout(x_title, y_title, x_extra=None, y_extra=None, **extra):
    return dict(
        template="none",
        height=HEIGHT,
        margin={"l": 56, "r": 16, "t": 48, "b": 48},
        paper_bgcolor=TRANSPARENT,
        plot_bgcolor=TRANSPARENT,
        font={"color": PALETTE["ink"], "size": 13},
        xaxis=axis(x_title, **(x_extra or {})),
        yaxis=axis(y_title, **(y_extra or {})),
        legend={
            "orientation": "h",
            "x": 0,
            "y": 1.02,
            "yanchor": "bottom",
            "font": {"color": PALETTE["ink"]},
            "itemclick": False,
            "itemdoubleclick": False,
        },
        hoverlabel={
            "bgcolor": PALETTE["surface"],
            "bordercolor": PALETTE["muted"],
            "font": {"color": PALETTE["ink"]},
        },
        dragmode=False,
        **extra,
    )


def round_values(array, digits=6):
    return [float(v) for v in np.round(np.asarray(array, dtype=float), digits)]


def scatter(**trace):
    return {"type": "scatter", **trace}


def make_figure(data, layout, validate=VALIDATE):
    """A plotly Figure from trace and layout dicts."""
    return go.Figure(data=data, layout=layout, _validate=validate)


def answer(data, layout, alt, caption, **extra):
    figure = make_figure(data, layout).to_plotly_json()
    return {"figure": figure, "alt": alt, "caption": caption, **extra}


def label(x, y, text, text_x, text_y, anchor):
    """A label written at (text_x, text_y), with an arrow to the marked point (x, y)."""
    return {
        "x": x,
        "y": y,
        "ax": text_x,
        "ay": text_y,
        "axref": "x",
        "ayref": "y",
        "text": text,
        "showarrow": True,
        "arrowhead": 2,
        "arrowwidth": 1.2,
        "arrowcolor": PALETTE["muted"],
        "standoff": 8,
        "xanchor": anchor,
        "yanchor": "middle",
        "font": {"color": PALETTE["ink"]},
        "bgcolor": PALETTE["surface"],
    }


__all__ = [
    "HEIGHT",
    "MINUS",
    "PALETTE",
    "TRANSPARENT",
    "VALIDATE",
    "answer",
    "axis",
    "fmt",
    "fmt_count",
    "label",
    "plot_layout",
    "make_figure",
    "round_values",
    "scatter",
]
