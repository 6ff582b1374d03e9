"""A teacher's classes: the list with a form to create one (/teach), and the same as JSON."""

from flask import current_app, flash, jsonify, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import StringField

from webapp.errors import ApiError, read_json
from webapp.store import get_store
from webapp.teach import api_bp, bp
from webapp.teach.auth import current_teacher_id, teacher_api, teacher_page
from webapp.teach.store import TooManyClasses
from webapp.teach.validate import InvalidText, clean_text

MAX_NAME = 100


class ClassForm(FlaskForm):
    """A new class: its name (and the hidden csrf_token)."""

    name = StringField("Class name")


def create_class(name) -> dict:
    """Create a class of the current teacher: {"id", "name", "code"}, or an ApiError."""
    try:
        name = clean_text(name, "class name", MAX_NAME)
    except InvalidText as exc:
        raise ApiError(400, str(exc)) from None
    limit = current_app.config["CLASSES_PER_TEACHER"]
    try:
        return get_store().create_class(current_teacher_id(), name, limit)
    except TooManyClasses:
        raise ApiError(
            409, f"You have {limit} classes, the most an account may have: delete one first."
        ) from None


@bp.get("/")  # registered second: url_for gives /teach
@bp.get("")
@teacher_page
def index():
    """The teacher's classes, with a form to create one."""
    return _index_page(ClassForm(), status=200)


def _index_page(form, status, error=None):
    classes = get_store().teacher_classes(current_teacher_id())
    return render_template("teach/index.html", classes=classes, form=form, error=error), status


@bp.post("/classes")
@teacher_page
def create_class_form():
    """The create-a-class form: the new class, then back to the list."""
    form = ClassForm()
    if not form.validate_on_submit():
        return _index_page(form, 400, "The form had expired. Please try again.")
    try:
        created = create_class(form.name.data)
    except ApiError as exc:
        return _index_page(form, exc.status, exc.message)
    flash(f"Class \u201c{created['name']}\u201d created. Its join code is {created['code']}.")
    return redirect(url_for("teach.index"))


@api_bp.get("/classes")
@teacher_api
def list_classes():
    """The teacher's classes as JSON."""
    return jsonify({"classes": get_store().teacher_classes(current_teacher_id())})


@api_bp.post("/classes")
@teacher_api
def create_class_api():
    """Create a class from {"name"}: 201 {"id", "name", "code"}."""
    created = create_class(read_json(fields=("name",)).get("name"))
    return jsonify(created), 201


def openapi_section():
    """Paths and schemas of the teacher's JSON endpoints."""
    from webapp.api.openapi import error_response, error_responses, json_body, ok, ref

    new_class = {
        "type": "object",
        "required": ["id", "name", "code"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME},
            "code": {"type": "string", "pattern": "^[A-Z2-9]{8}$"},
        },
    }
    schemas = {
        "TeacherClass": {
            **new_class,
            "required": ["id", "name", "code", "learners"],
            "properties": {**new_class["properties"], "learners": {"type": "integer"}},
        },
        "NewClass": new_class,
        "NewClassRequest": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string", "examples": ["Deep learning, group B"]}},
            "additionalProperties": False,
        },
    }
    auth = (
        "Teachers only: the session cookie of a login at /teach/login. A write also sends the "
        'page\'s CSRF token (<meta name="csrf-token">) as X-CSRFToken.'
    )
    unauthorised = error_response("Error", "No teacher is logged in.")
    paths = {
        "/api/teach/classes": {
            "get": {
                "summary": "The logged-in teacher's classes, newest first.",
                "description": auth,
                "operationId": "listTeacherClasses",
                "responses": {
                    "200": ok(
                        "The classes.",
                        {
                            "type": "object",
                            "required": ["classes"],
                            "properties": {
                                "classes": {"type": "array", "items": ref("TeacherClass")}
                            },
                        },
                    ),
                    "401": unauthorised,
                },
            },
            "post": {
                "summary": "Create a class; its join code is drawn at random.",
                "description": auth + " The name is trimmed (1 to 100 characters).",
                "operationId": "createTeacherClass",
                "requestBody": json_body(ref("NewClassRequest"), "The class's name."),
                "responses": {
                    "201": ok("The new class.", ref("NewClass")),
                    "400": error_response("Error", "A bad name, or a missing CSRF token."),
                    "401": unauthorised,
                    "409": error_response("Error", "The account has its most classes (200)."),
                    **error_responses(413, 415),
                },
            },
        },
    }
    return paths, schemas
