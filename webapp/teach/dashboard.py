"""A class's dashboard for its teacher: the page, its statistics as JSON, and every attempt of
the class as a CSV file streamed from the database."""

import csv
import hashlib
import io
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
from webapp.teach.stats import activity, class_stats

CSV_COLUMNS = ["kind", "learner", "time", "item", "answer", "correct", "note"]
# Rows fetched from the database at a time, and the bytes gathered before a piece is sent.
BATCH_ROWS = 2000
CHUNK_BYTES = 64 * 1024
# A spreadsheet reads a cell starting with one of these as a formula (CSV injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _private(response):
    # A class's answers: no shared cache may keep them.
    response.headers["Cache-Control"] = "no-store"
    return response


def _owned(class_id: int, api: bool) -> dict:
    # Another teacher's class answers exactly as a class that does not exist.
    klass = owned_class(class_id)
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
    }
    page = render_template("teach/dashboard.html", klass=klass, dashboard=config)
    return _private(current_app.make_response(page))


@api_bp.get("/classes/<int:class_id>/stats")
@teacher_api
def class_stats_json(class_id: int):
    """The class's statistics (see webapp.teach.stats)."""
    _owned(class_id, api=True)
    quizzes = current_app.extensions.get("quizzes", {})
    stats = class_stats(get_store().engine, class_id, quizzes, _skills())
    if stats is None:  # deleted meanwhile
        raise ApiError(404, f"You have no class {class_id}.")
    return _private(jsonify(stats))


@api_bp.get("/classes/<int:class_id>/activity")
@teacher_api
def class_activity_json(class_id: int):
    """Answers and active learners per day (UTC)."""
    _owned(class_id, api=True)
    with get_store().engine.connect() as conn:
        days = activity(conn, class_id)
    return _private(jsonify({"class": class_id, "days": days}))


# --- The CSV export ---------------------------------------------------------------------------


def safe_cell(value) -> str:
    """A cell as text that no spreadsheet runs as a formula (a leading ' when it could)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


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
    response = Response(
        stream_with_context(csv_rows(engine, class_id)), mimetype="text/csv; charset=utf-8"
    )
    filename = f"class-{class_id}-attempts.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _private(response)
