"""A class's dashboard for its teacher: the page, its statistics as JSON, and every attempt of
the class as a CSV file streamed from the database."""

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime

from flask import (
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    stream_with_context,
    url_for,
)
from sqlalchemy import select

from lessonengine.engine.presets import PRESETS
from webapp.errors import ApiError
from webapp.schema import attempts, class_members, graph_attempts, practice_attempts
from webapp.store import get_store
from webapp.teach import api_bp, bp
from webapp.teach.auth import owned_class, teacher_api, teacher_page
from webapp.teach.notes import note_titles
from webapp.teach.stats import activity, class_stats

MAX_ID = 2**31 - 1  # classes.id is a 32-bit integer on PostgreSQL
CSV_COLUMNS = ["kind", "learner", "time", "item", "answer", "correct", "note"]
# Rows fetched from the database at a time, and the bytes gathered before a piece is sent.
BATCH_ROWS = 2000
CHUNK_BYTES = 64 * 1024
# A spreadsheet reads a cell starting with one of these as a formula (CSV injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A plain finite number ("-0.3318", "+3", "1e-5") is data, not a formula: it stays a number.
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _owned(class_id: int, api: bool) -> dict:
    # Another teacher's class answers exactly as a class that does not exist; so does an id
    # outside the column's range (which the database would refuse with an error).
    klass = owned_class(class_id) if 0 < class_id <= MAX_ID else None
    if klass is None:
        if api:
            raise ApiError(404, f"You have no class {class_id}.")
        abort(404, f"You have no class {class_id}.")
    return klass


def _skills() -> dict[str, str]:
    # Practice's skills by id with their titles (none when practice is not installed).
    found = current_app.extensions.get("practice_skills") or {}
    return {skill_id: getattr(skill, "title", skill_id) for skill_id, skill in found.items()}


@bp.get("/classes/<int:class_id>")
@teacher_page
def dashboard(class_id: int):
    """The class's dashboard: quiz items, the graphs' steps, practice levels and activity."""
    klass = _owned(class_id, api=False)
    # Paths relative to the API root, as static/js/api.js asks for them.
    api = url_for("api.index")
    config = {
        "stats": url_for("teach_api.class_stats_json", class_id=class_id).removeprefix(api),
        "activity": url_for("teach_api.class_activity_json", class_id=class_id).removeprefix(api),
        "presets": [{"id": p.id, "title": p.title} for p in PRESETS.values()],
        "notes": note_titles(),  # the stats name notes by id; the page shows their words
    }
    page = render_template("teach/dashboard.html", klass=klass, dashboard=config)
    return page


@api_bp.get("/classes/<int:class_id>/stats")
@teacher_api
def class_stats_json(class_id: int):
    """The class's statistics (see webapp.teach.stats)."""
    _owned(class_id, api=True)
    quizzes = current_app.extensions.get("quizzes", {})
    stats = class_stats(get_store().engine, class_id, quizzes, _skills())
    if stats is None:  # deleted meanwhile
        raise ApiError(404, f"You have no class {class_id}.")
    return jsonify(stats)


@api_bp.get("/classes/<int:class_id>/activity")
@teacher_api
def class_activity_json(class_id: int):
    """Answers and active learners per day (UTC)."""
    _owned(class_id, api=True)
    with get_store().engine.connect() as conn:
        days = activity(conn, class_id)
    return jsonify({"class": class_id, "days": days})


# --- The CSV export ---------------------------------------------------------------------------


def safe_cell(value) -> str:
    """A cell as text that no spreadsheet runs as a formula (a leading ' when it could)."""
    text = "" if value is None else str(value)
    if not text.startswith(FORMULA_STARTS) or PLAIN_NUMBER.fullmatch(text):
        return text
    return "'" + text


def pseudonym(class_id: int, learner: str) -> str:
    """A short name for a learner without a nickname: stable within the class, and not the
    id from their cookie (which would let anyone holding the file act as them)."""
    digest = hashlib.sha256(f"{class_id}:{learner}".encode()).hexdigest()
    return f"learner-{digest[:8]}"


def _queries(class_id: int):
    # One query per kind, each in the order of its primary key: no sort of the whole class.
    def member_join(table):
        return table.join(
            class_members,
            (class_members.c.learner == table.c.learner) & (class_members.c.class_id == class_id),
        )

    who = (class_members.c.learner, class_members.c.nickname)
    yield (
        "quiz",
        select(*who, attempts.c.created_at, attempts.c.lesson, attempts.c.question)
        .add_columns(attempts.c.choice, attempts.c.correct)
        .select_from(member_join(attempts))
        .order_by(attempts.c.id),
        lambda r: (f"{r.lesson}/{r.question}", r.choice, ""),
    )
    g = graph_attempts.c
    yield (
        "graph",
        select(*who, g.created_at, g.graph, g.node, g.quantity, g.parent)
        .add_columns(g.answer, g.correct, g.note, g.revealed)
        .select_from(member_join(graph_attempts))
        .order_by(g.id),
        lambda r: (
            "/".join(x for x in (r.graph, r.node, r.quantity, r.parent) if x),
            "" if r.revealed else r.answer,
            r.note,
        ),
    )
    p = practice_attempts.c
    yield (
        "practice",
        select(*who, p.created_at, p.skill, p.seed, p.answer, p.correct, p.note)
        .select_from(member_join(practice_attempts))
        .order_by(p.id),
        lambda r: (f"{r.skill}#{r.seed}", r.answer, r.note),
    )


def _time(value) -> str:
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="seconds")
    return str(value)


def csv_rows(engine, class_id: int) -> Iterator[str]:
    """The CSV text of every attempt of the class, in pieces of about CHUNK_BYTES."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    names: dict[str, str] = {}
    with engine.connect() as conn:
        # A server-side cursor (PostgreSQL) read in batches: memory stays flat however large
        # the class is.
        conn = conn.execution_options(stream_results=True, yield_per=BATCH_ROWS)
        for kind, query, fields in _queries(class_id):
            for row in conn.execute(query):
                learner = names.get(row.learner)
                if learner is None:
                    learner = row.nickname or pseudonym(class_id, row.learner)
                    names[row.learner] = learner
                item, answer, note = fields(row)
                correct = "true" if row.correct else "false"
                cells = (kind, learner, _time(row.created_at), item, answer, correct, note)
                writer.writerow([safe_cell(c) for c in cells])
                if buffer.tell() >= CHUNK_BYTES:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
    yield buffer.getvalue()


@bp.get("/classes/<int:class_id>/attempts.csv")
@teacher_page
def attempts_csv(class_id: int):
    """Every attempt of the class (quiz, Your turn, practice) as CSV, streamed."""
    _owned(class_id, api=False)
    engine = get_store().engine
    response = Response(stream_with_context(csv_rows(engine, class_id)), mimetype="text/csv")
    filename = f"class-{class_id}-attempts.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response  # no-store, as everything of the teach blueprints (webapp/teach)


# --- OpenAPI ----------------------------------------------------------------------------------


def openapi_section():
    """The dashboard's JSON in the OpenAPI document: paths and schemas."""
    from webapp.api.openapi import error_response, ok, ref

    number_or_null = {"type": ["number", "null"], "minimum": -1, "maximum": 1}
    counted = {"type": "integer", "minimum": 0}
    choice = {
        "type": "object",
        "required": ["id", "count", "correct"],
        "properties": {
            "id": {"type": "string"},
            "count": {**counted, "description": "First answers in the first round."},
            "correct": {"type": "boolean"},
            "share": {"type": ["number", "null"]},
            "text": {"type": "string", "description": "HTML, as the quiz shows it."},
            "misconception": {
                "type": ["string", "null"],
                "description": "A wrong choice's misconception: its feedback's first sentence.",
            },
        },
    }
    quiz_item = {
        "type": "object",
        "required": ["question", "answered", "facility", "discrimination", "choices"],
        "properties": {
            "lesson": {"type": "string"},
            "question": {"type": "string"},
            "prompt": {"type": "string"},
            "answered": counted,
            "right": counted,
            "facility": {
                **number_or_null,
                "description": "The share whose first answer in their first round was right "
                "(null under 2 students).",
            },
            "discrimination": {
                **number_or_null,
                "description": "Point-biserial r between that answer and the first-round "
                "score on the other questions (null under 2 students or without variance).",
            },
            "choices": {"type": "array", "items": choice},
        },
    }
    note = {
        "type": "object",
        "required": ["note", "count"],
        "properties": {"note": {"type": "string"}, "count": counted},
    }
    step = {
        "type": "object",
        "required": ["graph", "node", "quantity", "attempts", "first_try_correct", "notes"],
        "properties": {
            "graph": {"type": "string", "description": "A preset's id, or a graph's hash."},
            "node": {"type": "string"},
            "quantity": {"type": "string", "enum": ["grad", "local_grad", "signal"]},
            "parent": {"type": "string", "description": "Empty for a gradient."},
            "attempts": {**counted, "description": "Learners who tried the step."},
            "first_try_correct": {"type": "number", "minimum": 0, "maximum": 1},
            "wrong_first": counted,
            "notes": {"type": "array", "items": note},
        },
    }
    levels = {
        "type": "object",
        "required": ["new", "attempted", "familiar", "proficient", "mastered"],
        "properties": dict.fromkeys(
            ("new", "attempted", "familiar", "proficient", "mastered"), counted
        ),
    }
    skill = {
        "type": "object",
        "required": ["skill", "levels"],
        "properties": {
            "skill": {"type": "string"},
            "title": {"type": "string"},
            "levels": levels,
            "overdue": {**counted, "description": "Reviews past their due time."},
        },
    }
    schemas = {
        "ClassStats": {
            "type": "object",
            "required": ["class", "quiz", "nodes", "skills"],
            "properties": {
                "class": {
                    "type": "object",
                    "required": ["id", "name", "learners"],
                    "properties": {
                        "id": {"type": "integer"},
                        "name": {"type": "string"},
                        "learners": counted,
                    },
                },
                "quiz": {"type": "array", "items": quiz_item},
                "nodes": {"type": "array", "items": step},
                "skills": {"type": "array", "items": skill},
            },
        },
        "ClassActivity": {
            "type": "object",
            "required": ["class", "days"],
            "properties": {
                "class": {"type": "integer"},
                "days": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["day", "answers", "learners"],
                        "properties": {
                            "day": {"type": "string", "format": "date"},
                            **dict.fromkeys(
                                ("answers", "learners", "quiz", "graph", "practice"), counted
                            ),
                        },
                    },
                },
            },
        },
    }
    auth = "Teachers only (the session of a login at /teach/login), and only their own class."
    refused = {
        "401": error_response("Error", "No teacher is logged in."),
        "404": error_response("Error", "No such class among the teacher's."),
    }
    class_id = [{"name": "class_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    paths = {
        "/api/teach/classes/{class_id}/stats": {
            "get": {
                "summary": "A class's statistics: quiz items, Your-turn steps, practice levels.",
                "description": auth,
                "operationId": "classStats",
                "parameters": class_id,
                "responses": {"200": ok("The statistics.", ref("ClassStats")), **refused},
            }
        },
        "/api/teach/classes/{class_id}/activity": {
            "get": {
                "summary": "A class's answers per day (UTC), by kind.",
                "description": auth,
                "operationId": "classActivity",
                "parameters": class_id,
                "responses": {"200": ok("The days.", ref("ClassActivity")), **refused},
            }
        },
    }
    return paths, schemas
