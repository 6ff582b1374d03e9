"""The JSON API blueprint, mounted under /api; each route module registers its views on `bp`."""

from flask import Blueprint, jsonify, url_for

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/")
def index():
    """List the API's entry points."""
    return jsonify({"openapi": url_for("api.openapi")})


@bp.get("/ping")
def ping():
    """A trivial JSON endpoint: the baseline the benchmarks compare against."""
    return jsonify({"ok": True})


from webapp.api import (  # noqa: E402  (route modules register on bp)
    answers,
    graph,
    openapi,
    plots,
    practice,
    quiz,
)

# The document's sections, in its order: each written next to the routes it documents.
openapi.SECTIONS.extend(
    [
        graph.openapi_section,
        plots.openapi_section,
        quiz.openapi_section,
        answers.openapi_section,
        practice.openapi_section,
    ]
)

# A student's classes and the teacher's JSON (webapp/teach), documented beside their routes.
from webapp.teach import classes as teach_classes  # noqa: E402
from webapp.teach import dashboard as teach_dashboard  # noqa: E402
from webapp.teach import join as teach_join  # noqa: E402

openapi.SECTIONS.extend(
    [teach_join.openapi_section, teach_classes.openapi_section, teach_dashboard.openapi_section]
)
