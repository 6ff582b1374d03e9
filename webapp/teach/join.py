"""A student joins a teacher's class with its code, and can leave it: pages and JSON.

The learner is the anonymous one of the cookie (webapp.learner); the optional nickname is seen
by the class's teacher only. JSON: POST /api/classes/join, GET /api/classes (mine) and
DELETE /api/classes/<id>/membership (leave). Pages: /join (type a code, your classes),
/join/<code> (the class's name and a form to join).
"""

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from wtforms import StringField

from webapp.errors import ApiError, read_json
from webapp.learner import current_learner
from webapp.limits import write_limit
from webapp.store import get_store
from webapp.teach import join_bp
from webapp.teach.auth import csrf
from webapp.teach.store import TooManyClasses
from webapp.teach.validate import InvalidText, clean_text, normalise_code

MAX_NICKNAME = 40
UNKNOWN_CODE = "No class has this join code. Check it with your teacher."


class JoinForm(FlaskForm):
    """Joining a class: an optional nickname (and the hidden csrf_token)."""

    nickname = StringField("Nickname (optional)")


def join(code, nickname) -> dict:
    """Put this request's learner in the class with `code`: its {"id", "name"}, or ApiError."""
    try:
        nickname = clean_text(nickname, "nickname", MAX_NICKNAME, required=False)
    except InvalidText as exc:
        raise ApiError(400, str(exc)) from None
    found = _class_or_404(code)
    limit = current_app.config["CLASSES_PER_LEARNER"]
    try:
        get_store().join_class(found["id"], current_learner(), nickname, limit)
    except TooManyClasses:
        raise ApiError(409, f"You are in {limit} classes, the most there can be.") from None
    return found


def _class_or_404(code) -> dict:
    normalised = normalise_code(code)
    found = get_store().class_by_code(normalised) if normalised else None
    if found is None:
        raise ApiError(404, UNKNOWN_CODE)
    return found


# --- JSON ---------------------------------------------------------------------------------------


@join_bp.post("/api/classes/join")
@write_limit("CLASS_JOINS_PER_MINUTE", "joins")
def join_api():
    """Join the class of {"code", "nickname"} (nickname optional): {"class": {"id", "name"}}."""
    body = read_json(fields=("code", "nickname"))
    code = body.get("code")
    if not isinstance(code, str):
        raise ApiError(400, "code must be a string: the class's join code")
    return jsonify({"class": join(code, body.get("nickname"))})


@join_bp.get("/api/classes")
def my_classes_api():
    """The classes this learner is in."""
    learner = current_learner(create=False)
    mine = get_store().learner_classes(learner) if learner else []
    return jsonify({"classes": mine})


@join_bp.delete("/api/classes/<int:class_id>/membership")
@write_limit("CLASS_JOINS_PER_MINUTE", "joins")
def leave_api(class_id: int):
    """Leave a class: 204, or 404 when this learner is not in it."""
    learner = current_learner(create=False)
    if learner is None or not get_store().leave_class(class_id, learner):
        raise ApiError(404, "You are not in this class.")
    return "", 204


# --- Pages --------------------------------------------------------------------------------------


@join_bp.get("/join")
def join_start():
    """Type a join code (the course page's form comes here), and the classes you are in."""
    code = request.args.get("code")
    if code is not None:
        return redirect(url_for("join.join_page", code=normalise_code(code) or code.strip()[:64]))
    return _join_page("pages/join_start.html", 200)


def _join_page(template, status, **context):
    learner = current_learner(create=False)
    mine = get_store().learner_classes(learner) if learner else []
    return render_template(template, mine=mine, leave_form=FlaskForm(), **context), status


@join_bp.get("/join/<code>")
def join_page(code: str):
    """The class's name and a form to join it; an unknown code is a friendly 404."""
    return _class_page(code, JoinForm())


def _class_page(code, form, error=None):
    normalised = normalise_code(code)
    found = get_store().class_by_code(normalised) if normalised else None
    if found is None:
        return _join_page("pages/join_missing.html", 404, code=code[:64])
    status = 200 if error is None else 400
    context = {"klass": found, "code": normalised, "form": form, "error": error}
    return _join_page("pages/join.html", status, **context)


@join_bp.post("/join/<code>")
@write_limit("CLASS_JOINS_PER_MINUTE", "joins")
def join_submit(code: str):
    """The join form: in the class, then back to /join and its list."""
    form = JoinForm()
    if not form.validate_on_submit():
        return _class_page(code, form, "The form had expired. Please try again.")
    try:
        joined = join(code, form.nickname.data)
    except ApiError as exc:
        if exc.status == 404:
            return _class_page(code, form)
        return _class_page(code, form, exc.message)
    flash(f"You joined \u201c{joined['name']}\u201d.")
    return redirect(url_for("join.join_start"))


@join_bp.post("/join/classes/<int:class_id>/leave")
@write_limit("CLASS_JOINS_PER_MINUTE", "joins")
def leave_page(class_id: int):
    """The Leave button of "Your classes": out of the class, back to the list."""
    csrf.protect()
    learner = current_learner(create=False)
    if learner is None or not get_store().leave_class(class_id, learner):
        abort(404, "You are not in this class.")
    flash("You left the class.")
    return redirect(url_for("join.join_start"))


def openapi_section():
    """Paths and schemas of a student's class endpoints."""
    from webapp.api.openapi import error_response, error_responses, json_body, ok, ref

    cookie = (
        "From the student's browser: the anonymous learner of the signed session cookie (set "
        "on the first call). No account and no personal data."
    )
    too_many = error_response(
        "Error",
        "More joins and leaves in the last minute than this learner's limit (10) or this "
        "address's write limit allows; Retry-After says when to try again.",
    )
    class_id = {
        "name": "class_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
    schemas = {
        "JoinRequest": {
            "type": "object",
            "required": ["code"],
            "additionalProperties": False,
            "properties": {
                "code": {
                    "type": "string",
                    "description": "The class's join code: 8 letters and digits (any case; "
                    "spaces and dashes ignored).",
                    "examples": ["K7QM-3XTA"],
                },
                "nickname": {
                    "type": ["string", "null"],
                    "maxLength": MAX_NICKNAME,
                    "description": "Optional, seen by the teacher only; trimmed, format "
                    "characters dropped, 1 to 40 characters with one visible (empty means none).",
                },
            },
        },
        "JoinedClass": {
            "type": "object",
            "required": ["class"],
            "properties": {
                "class": {
                    "type": "object",
                    "required": ["id", "name"],
                    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                }
            },
        },
        "MyClasses": {
            "type": "object",
            "required": ["classes"],
            "properties": {
                "classes": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["id", "name", "nickname"],
                        "properties": {
                            "id": {"type": "integer"},
                            "name": {"type": "string"},
                            "nickname": {"type": ["string", "null"]},
                        },
                    },
                }
            },
        },
    }
    paths = {
        "/api/classes/join": {
            "post": {
                "summary": "Join a teacher's class with its code (again: update the nickname).",
                "description": cookie,
                "operationId": "joinClass",
                "requestBody": json_body(ref("JoinRequest"), "The code, and a nickname."),
                "responses": {
                    "200": ok("The learner is in the class.", ref("JoinedClass")),
                    "400": error_response(
                        "Error", "A code that is not a string, or a bad nickname."
                    ),
                    "404": error_response("Error", "No class has this code."),
                    "409": error_response("Error", "The learner is in 50 classes already."),
                    **error_responses(413, 415),
                    "429": too_many,
                },
            }
        },
        "/api/classes": {
            "get": {
                "summary": "The classes this learner is in, in the order joined.",
                "description": cookie,
                "operationId": "myClasses",
                "responses": {"200": ok("The classes.", ref("MyClasses"))},
            }
        },
        "/api/classes/{class_id}/membership": {
            "delete": {
                "summary": "Leave a class: the learner and their nickname are taken out of it.",
                "description": cookie + " The answers already given stay the learner's own.",
                "operationId": "leaveClass",
                "parameters": [class_id],
                "responses": {
                    "204": {"description": "Left."},
                    "404": error_response("Error", "This learner is not in that class."),
                    "429": too_many,
                },
            }
        },
    }
    return paths, schemas
