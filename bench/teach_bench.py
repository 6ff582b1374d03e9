"""The teacher's dashboard at scale (issue 13): a class of 10,000 learners with 60 answers each
(20 quiz answers, 20 Your-turn steps, 20 practice answers), on SQLite and on PostgreSQL.

Times GET /api/teach/classes/<id>/stats through the production server (gunicorn), and streams
GET /teach/classes/<id>/attempts.csv, reading the worker's resident memory before and after.
PostgreSQL: PG_URL if set, else a throwaway cluster on a Unix socket (as the tests start one).
Targets: stats under 1 s on both; the export's worker growth under 50 MB.

    .venv/bin/python bench/teach_bench.py [--learners 10000] [--only sqlite|postgresql]
"""

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from server import ROOT, Gunicorn, rss_mb
from sqlalchemy import create_engine, text

from lessonengine.assessment.practice import skills as lesson_skills  # noqa: E402
from lessonengine.assessment.quiz import load_quizzes  # noqa: E402 (after server's path)
from lessonengine.engine.presets import PRESETS  # noqa: E402
from webapp.schema import (  # noqa: E402
    attempts,
    class_members,
    classes,
    graph_attempts,
    learners,
    practice_attempts,
    practice_exercises,
    quiz_rounds,
    skill_levels,
    teachers,
)
from webapp.store import init_schema, make_engine  # noqa: E402

EMAIL, PASSWORD = "bench@example.org", "bench-password-123"
CLASS_ID = 1
LESSON = "chain-rule-in-networks"
QUIZ, STEPS, PRACTICE = 20, 20, 20  # answers per learner of each kind
LEVELS = ["attempted", "familiar", "proficient", "mastered"]
NOTES = ["missed-fork", "no-transpose", "forgot-upstream", "sign", "swapped-inputs"]
BATCH = 20_000
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def password_hash(password: str) -> str:
    """The hash the app stores, from the teachers' own module."""
    from webapp.teach import auth

    return auth.hash_password(password)


def steps_of_presets() -> list[tuple[str, str, str, str]]:
    """(graph, node, quantity, parent) for every node's gradient and signals of every preset."""
    from lessonengine.engine.cache import compute

    steps = []
    for preset in PRESETS.values():
        nodes = compute(preset.program, preset.values).nodes
        for node in nodes:
            steps.append((preset.id, node.id, "grad", ""))
            for parent in node.parents:
                steps.append((preset.id, node.id, "signal", nodes[parent].id))
    return steps


def fill(engine, count: int, seed: int = 13) -> None:
    """A teacher, a class of `count` learners and their answers, in bulk inserts."""
    rng = random.Random(seed)
    questions = [q.id for q in load_quizzes(ROOT / "content")[LESSON].questions]
    skills = list(lesson_skills(ROOT / "content", LESSON))
    steps = steps_of_presets()
    with engine.begin() as conn:
        conn.execute(
            teachers.insert().values(
                id=1, email=EMAIL, password_hash=password_hash(PASSWORD), created_at=T0
            )
        )
        conn.execute(
            classes.insert().values(
                id=CLASS_ID, teacher=1, name="Bench class", code="BENCH13", created_at=T0
            )
        )
    rows = {name: [] for name in ("l", "m", "r", "a", "g", "e", "p", "s")}

    def flush(force=False):
        order = [
            ("l", learners),
            ("m", class_members),
            ("r", quiz_rounds),
            ("a", attempts),
            ("g", graph_attempts),
            ("e", practice_exercises),
            ("p", practice_attempts),
            ("s", skill_levels),
        ]
        if not force and len(rows["a"]) < BATCH:
            return
        with engine.begin() as conn:
            for key, table in order:
                if rows[key]:
                    conn.execute(table.insert(), rows[key])
                    rows[key].clear()

    for i in range(count):
        learner = f"bench-{i:06d}"
        ability = rng.random()
        when = T0 + timedelta(minutes=rng.randrange(60 * 24 * 14))
        rows["l"].append({"id": learner, "created_at": when})
        rows["m"].append(
            {"class_id": CLASS_ID, "learner": learner, "nickname": f"n{i}", "joined_at": when}
        )
        for k in range(QUIZ):
            round_no, question = divmod(k, len(questions))
            if question == 0:
                rows["r"].append(
                    {
                        "learner": learner,
                        "lesson": LESSON,
                        "round": round_no + 1,
                        "started_at": when,
                    }
                )
            right = rng.random() < ability
            when += timedelta(seconds=rng.randrange(5, 90))
            rows["a"].append(
                {
                    "learner": learner,
                    "lesson": LESSON,
                    "question": questions[question],
                    "choice": rng.choice("abcd") if not right else "c",
                    "correct": right,
                    "round": round_no + 1,
                    "created_at": when,
                }
            )
        for _k in range(STEPS):
            graph, node, quantity, parent = rng.choice(steps)
            right = rng.random() < ability
            when += timedelta(seconds=rng.randrange(5, 90))
            rows["g"].append(
                {
                    "learner": learner,
                    "graph": graph,
                    "node": node,
                    "quantity": quantity,
                    "parent": parent,
                    "answer": "=1+2" if rng.random() < 0.01 else f"{rng.random():.3f}",
                    "correct": right,
                    "note": "correct" if right else rng.choice(NOTES),
                    "revealed": False,
                    "created_at": when,
                }
            )
        for k in range(PRACTICE):
            skill = skills[k % len(skills)]
            right = rng.random() < ability
            when += timedelta(seconds=rng.randrange(5, 90))
            exercise = f"{i:06d}{k:02d}{rng.getrandbits(40):010x}"
            rows["e"].append(
                {"id": exercise, "learner": learner, "skill": skill, "seed": k, "created_at": when}
            )
            rows["p"].append(
                {
                    "exercise": exercise,
                    "learner": learner,
                    "skill": skill,
                    "seed": k,
                    "answer": "0.5",
                    "correct": right,
                    "note": "correct" if right else "sign",
                    "level_before": "attempted",
                    "level_after": "familiar" if right else "attempted",
                    "created_at": when,
                }
            )
        for skill in skills[: 1 + int(ability * (len(skills) - 1))]:
            rows["s"].append(
                {
                    "learner": learner,
                    "skill": skill,
                    "level": rng.choice(LEVELS),
                    "streak": 0,
                    "review_step": 1,
                    "due": when + timedelta(days=rng.randrange(-5, 10)),
                    "last_right_at": when,
                    "updated_at": when,
                }
            )
        flush()
    flush(force=True)
    # Fresh statistics for the planner, as autovacuum (PostgreSQL) would gather after a bulk load.
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")


# --- A throwaway PostgreSQL (as tests/test_postgres.py starts one) ---------------------------


@contextmanager
def postgres():
    """A PostgreSQL URL: PG_URL, else a new cluster on a Unix socket, removed afterwards."""
    import os

    if os.environ.get("PG_URL"):
        yield os.environ["PG_URL"]
        return
    import shutil
    import subprocess

    from tests.test_postgres import free_port, server_binaries

    binaries = server_binaries()
    if binaries is None:
        raise SystemExit("PostgreSQL's server binaries are needed (or set PG_URL)")
    initdb, pg_ctl = binaries
    root = Path(tempfile.mkdtemp(prefix="pgbench-"))
    data, sockets = root / "data", root / "sock"
    sockets.mkdir()
    prefix = []
    if os.geteuid() == 0:  # initdb refuses root: run the server tools as `postgres`
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    port = free_port()

    def run(*command):
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)

    started = False
    try:
        run(initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
        options = f"-k {sockets} -p {port} -c listen_addresses='' -c fsync=off"
        run(pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start")
        started = True
        base = f"postgresql+psycopg://postgres@/{{}}?host={sockets}&port={port}"
        admin = create_engine(base.format("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE teachbench"))
        admin.dispose()
        yield base.format("teachbench")
    finally:
        if started:
            run(pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


# --- Measuring through the production server -------------------------------------------------


def log_in(base: str) -> requests.Session:
    """A session logged in through the login form (its CSRF token read from the page)."""
    session = requests.Session()
    page = session.get(f"{base}/teach/login", timeout=30)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    form = {"email": EMAIL, "password": PASSWORD, "csrf_token": token}
    answer = session.post(f"{base}/teach/login", data=form, allow_redirects=False, timeout=30)
    if answer.status_code != 302:
        raise SystemExit(f"login failed: {answer.status_code} {answer.text[:200]}")
    return session


def timed(session, url: str, runs: int) -> list[float]:
    """Seconds per GET of `url`, after one untimed request (the worker's first)."""
    session.get(url, timeout=60).raise_for_status()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = session.get(url, timeout=60)
        times.append(time.perf_counter() - started)
        response.raise_for_status()
    return times


def export(server, session, url: str) -> dict:
    """Stream the CSV, sampling the worker's memory; bytes, rows, seconds and RSS figures."""
    [worker] = server.workers()
    before = rss_mb(worker)
    peak, size, lines = before, 0, 0
    started = time.perf_counter()
    with session.get(url, stream=True, timeout=120) as response:
        response.raise_for_status()
        for piece in response.iter_content(chunk_size=256 * 1024):
            size += len(piece)
            lines += piece.count(b"\n")
            peak = max(peak, rss_mb(worker))
    seconds = time.perf_counter() - started
    after = rss_mb(worker)
    return {
        "bytes": size,
        "rows": lines - 1,
        "seconds": seconds,
        "before": before,
        "peak": peak,
        "after": after,
    }


def measure(name: str, url: str | None, instance: Path, learners: int, runs: int) -> dict:
    """Fill a database, serve it with gunicorn (one worker), time stats and the export."""
    engine = make_engine(url or f"sqlite:///{instance / 'lessons.db'}")
    init_schema(engine)
    started = time.perf_counter()
    fill(engine, learners)
    filled = time.perf_counter() - started
    engine.dispose()
    env = {"DATABASE_URL": url} if url else {}
    server = Gunicorn(instance, instance.parent / f"{name}.log", workers=1, env=env)
    try:
        session = log_in(server.url)
        base = f"{server.url}/api/teach/classes/{CLASS_ID}"
        stats = timed(session, f"{base}/stats", runs)
        activity = timed(session, f"{base}/activity", runs)
        body = session.get(f"{base}/stats", timeout=60).json()
        csv = export(server, session, f"{server.url}/teach/classes/{CLASS_ID}/attempts.csv")
    finally:
        server.stop()
    return {
        "name": name,
        "filled": filled,
        "stats": stats,
        "activity": activity,
        "csv": csv,
        "body": body,
    }


def report(result: dict, learners: int) -> bool:
    """Print one database's figures; True when they meet the targets."""
    stats, activity, csv = result["stats"], result["activity"], result["csv"]
    growth = csv["peak"] - csv["before"]
    quiz = result["body"]["quiz"][0]
    print(
        f"\n{result['name']}: {learners:,} learners, {learners * 60:,} answers, "
        f"filled in {result['filled']:.1f} s"
    )
    print(
        f"  stats:    median {statistics.median(stats) * 1000:.0f} ms, "
        f"worst {max(stats) * 1000:.0f} ms over {len(stats)} requests "
        f"({len(result['body']['nodes'])} steps, {len(result['body']['skills'])} skills; "
        f"{quiz['question']}: facility {quiz['facility']:.3f}, "
        f"discrimination {quiz['discrimination']:.3f})"
    )
    print(
        f"  activity: median {statistics.median(activity) * 1000:.0f} ms, "
        f"worst {max(activity) * 1000:.0f} ms"
    )
    print(
        f"  CSV:      {csv['rows']:,} rows, {csv['bytes'] / 2**20:.1f} MB in "
        f"{csv['seconds']:.1f} s; worker {csv['before']:.0f} MB before, peak "
        f"{csv['peak']:.0f} MB, after {csv['after']:.0f} MB (growth {growth:.1f} MB)"
    )
    ok = max(stats) < 1.0 and growth < 50 and csv["rows"] == learners * 60
    print(f"  targets (stats < 1 s, growth < 50 MB, every row): {'met' if ok else 'NOT met'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "sqlite"):
            instance = Path(tmp) / "sqlite"
            instance.mkdir(mode=0o700)
            result = measure("SQLite", None, instance, args.learners, args.runs)
            ok &= report(result, args.learners)
        if args.only in (None, "postgresql"):
            instance = Path(tmp) / "postgresql"
            instance.mkdir(mode=0o700)
            with postgres() as url:
                result = measure("PostgreSQL", url, instance, args.learners, args.runs)
            ok &= report(result, args.learners)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
