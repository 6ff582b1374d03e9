"""The pages blueprint: the course page and the lesson pages."""

from flask import Blueprint, render_template, url_for

bp = Blueprint("pages", __name__)


@bp.app_context_processor
def inject_app_config():
    """Give every template the JSON config the browser modules read (URLs come from here)."""
    return {
        "app_config": {
            "api": url_for("api.index"),
            "playground": url_for("pages.playground"),
            "plotly": url_for("static", filename="vendor/plotly/plotly-basic.min.js"),
        }
    }


@bp.get("/")
def course():
    """The course page listing its lessons."""
    return render_template("pages/course.html")


@bp.get("/playground")
def playground():
    """The graph playground: type a program and explore its backward pass."""
    return render_template("pages/playground.html")
