"""Class statistics against a synthetic class whose figures the test computes on its own, on
SQLite and on the suite's real PostgreSQL."""

import itertools
import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from lessonengine.assessment.quiz import Choice, Question, Quiz
from tests.test_postgres import pg_cluster  # noqa: F401 (a fixture)
from webapp.schema import (
    attempts,
    class_members,
    classes,
    graph_attempts,
    learners,
    skill_levels,
    teachers,
)
from webapp.store import init_schema, make_engine
from webapp.teach.stats import activity, class_stats, first_sentence

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
QUESTIONS = ["q1", "q2", "q3", "q4"]
QUIZ = Quiz(
    lesson="lesson",
    path="lesson.quiz.yaml",
    questions=tuple(
        Question(
            id=q,
            prompt=f"Prompt {q}",
            choices=tuple(
                Choice(id=c, text=f"{q} {c}", feedback=f"Mistake {c} of {q}. More words.")
                for c in "abc"
            ),
            correct="a",
            explanation="Because.",
        )
        for q in QUESTIONS
    ),
)
_counter = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    """An empty, migrated database of each kind."""
    if request.param == "sqlite":
        db = make_engine(f"sqlite:///{tmp_path / 'stats.db'}")
    else:
        url = request.getfixturevalue("pg_cluster")
        name = f"stats_{next(_counter)}"
        admin = create_engine(url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
        db = make_engine(url(name))
    init_schema(db)
    yield db
    db.dispose()


class Fill:
    """Rows for a class, inserted in the order given (so ids follow it)."""

    def __init__(self, engine):
        self.engine = engine
        with engine.begin() as conn:
            conn.execute(
                teachers.insert().values(id=1, email="t@x", password_hash="h", created_at=T0)
            )
            for cid in (1, 2):
                conn.execute(
                    classes.insert().values(
                        id=cid, teacher=1, name=f"Class {cid}", code=f"CODE{cid}", created_at=T0
                    )
                )
        self.clock = T0

    def tick(self):
        self.clock += timedelta(minutes=7)
        return self.clock

    def learner(self, learner, class_id=1):
        with self.engine.begin() as conn:
            conn.execute(learners.insert().values(id=learner, created_at=T0))
            if class_id:
                conn.execute(
                    class_members.insert().values(
                        class_id=class_id, learner=learner, nickname=None, joined_at=T0
                    )
                )

    def answer(self, learner, question, choice, round_no=1, lesson="lesson"):
        with self.engine.begin() as conn:
            conn.execute(
                attempts.insert().values(
                    learner=learner,
                    lesson=lesson,
                    question=question,
                    choice=choice,
                    correct=choice == "a",
                    round=round_no,
                    created_at=self.tick(),
                )
            )

    def step(self, learner, node, correct, note, graph="neuron", revealed=False, parent=""):
        with self.engine.begin() as conn:
            conn.execute(
                graph_attempts.insert().values(
                    learner=learner,
                    graph=graph,
                    node=node,
                    quantity="grad" if not parent else "signal",
                    parent=parent,
                    answer="1",
                    correct=correct,
                    note=note,
                    revealed=revealed,
                    created_at=self.tick(),
                )
            )

    def level(self, learner, skill, level, due=None):
        with self.engine.begin() as conn:
            conn.execute(
                skill_levels.insert().values(
                    learner=learner,
                    skill=skill,
                    level=level,
                    streak=0,
                    review_step=0,
                    due=due,
                    last_right_at=None,
                    updated_at=T0,
                )
            )


def reference(answers):
    """Facility and discrimination computed directly from (learner, question, round, choice)
    rows in insertion order: the first round each learner answered in, the first answer to each
    question there, centred Pearson's r against the score on the other questions."""
    first_round = {}
    for learner, _q, round_no, _c in answers:
        first_round[learner] = min(first_round.get(learner, round_no), round_no)
    first = {}
    for learner, question, round_no, choice in answers:
        if round_no == first_round[learner]:
            first.setdefault((learner, question), choice == "a")
    result = {}
    for question in QUESTIONS:
        xs, ys = [], []
        for (learner, q), right in first.items():
            if q != question:
                continue
            rest = sum(ok for (lr, q2), ok in first.items() if lr == learner and q2 != question)
            xs.append(float(right))
            ys.append(float(rest))
        n = len(xs)
        facility = sum(xs) / n if n >= 2 else None
        r = None
        if n >= 2:
            mx, my = sum(xs) / n, sum(ys) / n
            dx = [x - mx for x in xs]
            dy = [y - my for y in ys]
            sxx, syy = sum(d * d for d in dx), sum(d * d for d in dy)
            if sxx > 1e-12 and syy > 1e-12:
                r = sum(a * b for a, b in zip(dx, dy, strict=True)) / math.sqrt(sxx * syy)
        result[question] = (n, facility, r)
    return result


def by_question(stats):
    return {item["question"]: item for item in stats["quiz"]}


def test_facility_and_discrimination_match_an_independent_computation(engine):
    fill = Fill(engine)
    rng = random.Random(13)
    rows = []
    for i in range(40):
        learner = f"s{i:02d}"
        fill.learner(learner)
        ability = rng.random()
        # Some learners press Try again before answering: their first round is round 2.
        start = 2 if i % 9 == 4 else 1
        for round_no in (start, start + 1):
            for question in QUESTIONS:
                if rng.random() < 0.15:
                    continue  # not every question is answered
                choice = "a" if rng.random() < ability else rng.choice("bc")
                rows.append((learner, question, round_no, choice))
                fill.answer(learner, question, choice, round_no)
                if round_no == start and rng.random() < 0.1:
                    # A second answer in the same round (older releases stored them): not first.
                    other = "b" if choice == "a" else "a"
                    rows.append((learner, question, round_no, other))
                    fill.answer(learner, question, other, round_no)
    # Learners outside the class, answering well: not counted.
    for i in range(5):
        fill.learner(f"out{i}", class_id=2)
        fill.learner(f"none{i}", class_id=None)
        for question in QUESTIONS:
            fill.answer(f"out{i}", question, "a")
            fill.answer(f"none{i}", question, "b")

    stats = class_stats(engine, 1, {"lesson": QUIZ})
    assert stats["class"] == {"id": 1, "name": "Class 1", "learners": 40}
    expected = reference(rows)
    items = by_question(stats)
    assert list(items) == QUESTIONS
    some_r = 0
    for question, (n, facility, r) in expected.items():
        item = items[question]
        assert item["answered"] == n, question
        assert item["facility"] == pytest.approx(facility, abs=1e-9), question
        if r is None:
            assert item["discrimination"] is None, question
        else:
            some_r += 1
            assert item["discrimination"] == pytest.approx(r, abs=1e-9), question
        assert sum(c["count"] for c in item["choices"]) == n
        firsts = {}
        for learner, q, round_no, choice in rows:
            rounds = [rr for lr, _q, rr, _c in rows if lr == learner]
            if q == question and round_no == min(rounds):
                firsts.setdefault(learner, choice)
        for choice in item["choices"]:
            assert choice["count"] == sum(1 for c in firsts.values() if c == choice["id"])
            assert choice["correct"] == (choice["id"] == "a")
    assert some_r == len(QUESTIONS)  # the data has variance everywhere


def test_null_cases_one_student_and_no_variance(engine):
    fill = Fill(engine)
    fill.learner("only")
    for question in QUESTIONS:
        fill.answer("only", question, "a")
    items = by_question(class_stats(engine, 1, {"lesson": QUIZ}))
    for item in items.values():
        assert item["answered"] == 1
        assert item["facility"] is None and item["discrimination"] is None

    # In class 2: everyone right on q1 (x has no variance); on q2 right and wrong, but every
    # rest score is 2 (y has no variance); q4 has both, perfectly against the rest (r = -1).
    answers = {"l1": "aaab", "l2": "abba", "l3": "aaab"}
    rows = []
    for learner, choices in answers.items():
        fill.learner(learner, class_id=2)
        for question, choice in zip(QUESTIONS, choices, strict=True):
            fill.answer(learner, question, choice)
            rows.append((learner, question, 1, choice))
    items = by_question(class_stats(engine, 2, {"lesson": QUIZ}))
    assert items["q1"]["facility"] == 1.0 and items["q1"]["discrimination"] is None
    assert items["q2"]["facility"] == pytest.approx(2 / 3) and items["q2"]["discrimination"] is None
    assert items["q4"]["discrimination"] == pytest.approx(-1.0, abs=1e-9)
    for question, (n, facility, r) in reference(rows).items():
        assert items[question]["answered"] == n == 3
        assert items[question]["facility"] == pytest.approx(facility, abs=1e-9)
        assert (items[question]["discrimination"] is None) == (r is None)
        if r is not None:
            assert items[question]["discrimination"] == pytest.approx(r, abs=1e-9)


def test_an_empty_class_and_an_unknown_one(engine):
    Fill(engine)
    stats = class_stats(engine, 2, {"lesson": QUIZ}, skills=["chain"])  # nobody in it yet
    assert stats["class"]["learners"] == 0
    assert all(i["answered"] == 0 and i["facility"] is None for i in stats["quiz"])
    assert stats["nodes"] == []
    [chain] = stats["skills"]
    assert chain["skill"] == "chain" and chain["overdue"] == 0
    assert chain["levels"] == dict.fromkeys(
        ["new", "attempted", "familiar", "proficient", "mastered"], 0
    )
    assert class_stats(engine, 99) is None


def test_graph_steps_count_first_tries_and_notes(engine):
    fill = Fill(engine)
    for learner in ("a", "b", "c", "d"):
        fill.learner(learner)
    fill.learner("x", class_id=2)
    fill.step("a", "w", False, "missed-fork")
    fill.step("a", "w", False, "missed-fork")
    fill.step("a", "w", True, "correct")
    fill.step("b", "w", True, "correct")
    fill.step("b", "w", False, "sign")  # after the first try: a note, not the first try
    fill.step("c", "w", False, "sign")
    fill.step("c", "w", True, "shown", revealed=True)
    fill.step("d", "w", True, "shown", revealed=True)  # only shown: not an attempt
    fill.step("d", "z", False, "no-transpose", parent="w")
    fill.step("x", "w", False, "missed-fork")  # another class
    nodes = {(n["node"], n["parent"]): n for n in class_stats(engine, 1)["nodes"]}
    w = nodes[("w", "")]
    assert w["graph"] == "neuron" and w["quantity"] == "grad"
    assert w["attempts"] == 3
    assert w["first_try_correct"] == pytest.approx(1 / 3, abs=1e-9)
    assert w["notes"] == [{"note": "missed-fork", "count": 2}, {"note": "sign", "count": 2}]
    z = nodes[("z", "w")]
    assert (z["quantity"], z["attempts"], z["first_try_correct"]) == ("signal", 1, 0.0)
    assert z["notes"] == [{"note": "no-transpose", "count": 1}]


def test_skills_count_levels_new_and_overdue(engine):
    fill = Fill(engine)
    for learner in ("a", "b", "c", "d", "e"):
        fill.learner(learner)
    fill.learner("x", class_id=2)
    now = T0 + timedelta(days=3)
    fill.level("a", "chain", "mastered", due=now - timedelta(hours=1))
    fill.level("b", "chain", "familiar", due=now + timedelta(days=1))
    fill.level("c", "chain", "familiar", due=now - timedelta(days=2))
    fill.level("a", "fork", "attempted")
    fill.level("x", "chain", "mastered", due=now - timedelta(days=2))
    skills = {
        s["skill"]: s for s in class_stats(engine, 1, skills=["chain", "vjp"], now=now)["skills"]
    }
    assert skills["chain"]["levels"] == {
        "new": 2,
        "attempted": 0,
        "familiar": 2,
        "proficient": 0,
        "mastered": 1,
    }
    assert skills["chain"]["overdue"] == 2
    assert skills["fork"]["levels"]["attempted"] == 1 and skills["fork"]["levels"]["new"] == 4
    assert skills["vjp"]["levels"]["new"] == 5


def test_activity_per_day(engine):
    fill = Fill(engine)
    fill.learner("a")
    fill.learner("b")
    fill.answer("a", "q1", "a")
    fill.clock += timedelta(days=1)
    fill.answer("a", "q2", "b")
    fill.step("b", "w", True, "correct")
    with engine.connect() as conn:
        days = activity(conn, 1)
    assert [d["day"] for d in days] == ["2026-11-02", "2026-11-03"]
    assert days[1] == {
        "day": "2026-11-03",
        "answers": 2,
        "learners": 2,
        "quiz": 1,
        "graph": 1,
        "practice": 0,
    }


def test_the_first_sentence_names_the_misconception():
    assert first_sentence("That is <b>a. b</b> wrong. Then more.") == "That is <b>a. b</b> wrong."
    assert first_sentence("In a multiply node: the other") == "In a multiply node."
    assert first_sentence("No stop at all") == "No stop at all"
