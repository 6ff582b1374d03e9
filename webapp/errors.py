"""One shape for every error: JSON under /api/, a friendly page elsewhere."""

import json

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    RequestEntityTooLarge,
    RequestTimeout,
    UnsupportedMediaType,
)
from werkzeug.http import HTTP_STATUS_CODES

from webapp.store import StoreError


class ApiError(Exception):
    """An error a JSON endpoint answers with `status` and a message the client can show."""

    def __init__(self, status: int, message: str, **extra):
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


def error_response(status: int, message: str, **extra):
    """Build the JSON error response `{"error": <status phrase>, "message": ...}`."""
    payload = {"error": HTTP_STATUS_CODES.get(status, "Error"), "message": message, **extra}
    response = jsonify(payload)
    response.status_code = status
    return response


def _unreadable_body_errors() -> tuple[type[Exception], ...]:
    # What the server raises for a body it cannot read: gunicorn's parse errors (a chunk size of
    # "zz", a missing terminator, a bad extension) are not HTTP errors; Werkzeug's own server and
    # a client that vanished raise OSError.
    try:
        from gunicorn.http.errors import ParseException
    except ImportError:  # another WSGI server
        return (OSError,)
    return (OSError, ParseException)


UNREADABLE_BODY = _unreadable_body_errors()


def read_body() -> bytes:
    """The request's body, or a 4xx: 413 over the limit, 408 too slow, 400 malformed."""
    try:
        return request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise
    except (BadRequest, *UNREADABLE_BODY) as exc:
        # Werkzeug reports a failed read as ClientDisconnected (a 400), the server's error
        # attached: a read that timed out is the client's slowness, a 408.
        cause = exc if isinstance(exc, OSError) else exc.__context__
        if isinstance(cause, TimeoutError):
            raise RequestTimeout("The request body did not arrive in time.") from None
        if isinstance(exc, BadRequest):
            raise
        detail = str(exc)[:80] or type(exc).__name__
        raise BadRequest(f"The request body could not be read ({detail}).") from None


def _reject_constant(name: str):
    # Python's json accepts NaN and Infinity, which are not JSON: refuse them.
    raise ValueError(f"{name} is not a valid JSON number")


def read_json(fields=None) -> dict:
    """Return the request's JSON object (only `fields`, if given), or raise a clear 4xx."""
    if not request.is_json:
        raise UnsupportedMediaType("Send a JSON body with Content-Type: application/json.")
    raw = read_body()
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.")
    unknown = sorted(set(data) - set(fields)) if fields is not None else []
    if unknown:
        raise ApiError(400, f"unknown field(s): {', '.join(unknown)[:200]}")
    return data


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/api"


def init_app(app: Flask) -> None:
    """Register the handlers that turn every error into JSON or a friendly page."""

    @app.errorhandler(ApiError)
    def handle_api_error(exc: ApiError):
        return error_response(exc.status, exc.message, **exc.extra)

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        if _wants_json():
            message = exc.description or exc.name
            if exc.code == 413:
                limit = app.config["MAX_CONTENT_LENGTH"] // 1024
                message = f"The request body is larger than the {limit} KB this API accepts."
            response = error_response(exc.code or 500, message)
            if exc.code == 405 and exc.valid_methods:
                response.headers["Allow"] = ", ".join(exc.valid_methods)
            return response
        template = "errors/404.html" if exc.code == 404 else "errors/error.html"
        return render_template(template, error=exc), exc.code

    @app.errorhandler(SQLAlchemyError)
    @app.errorhandler(StoreError)
    def handle_database_error(exc: Exception):
        # The database did not answer (or refused): a 503 in words, for every route, so no view
        # needs a try of its own. Writes commit in one transaction, so nothing half-done stays.
        app.logger.exception("Database error on %s %s", request.method, request.path)
        if request.method in ("GET", "HEAD"):
            message = "This could not be read just now: the database did not answer. Please "
            message += "reload in a moment."
        else:
            message = "This could not be saved just now: the database did not answer. Please "
            message += "try again in a moment."
        if _wants_json():
            return error_response(503, message)
        return render_template("errors/error.html", error=None), 503

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        if _wants_json():
            return error_response(500, "Something went wrong on our side; please try again.")
        return render_template("errors/error.html", error=None), 500
