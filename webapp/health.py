"""`GET /healthz` for load balancers: the app answers and its database is reachable."""

from flask import Flask, jsonify
from sqlalchemy.exc import SQLAlchemyError

from webapp.store import get_store


def healthz():
    """200 when the database answers a query, 503 otherwise."""
    try:
        get_store().ping()
    except SQLAlchemyError:
        response = jsonify({"status": "unavailable", "database": "unreachable"})
        response.status_code = 503
    else:
        response = jsonify({"status": "ok", "database": "ok"})
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Register /healthz outside the API blueprint, where load balancers expect it."""
    app.add_url_rule("/healthz", "healthz", healthz)
