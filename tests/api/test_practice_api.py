"""The practice API: its contract, each error, one promotion under two concurrent answers, and a
review that falls due when the clock moves on."""

import itertools
import threading
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import create_engine, text

from lessonengine.assessment.mastery import LEVELS, REVIEW_LADDER, STREAK
from lessonengine.assessment.practice import MAX_SEED, generate
from lessonengine.content import texmath
from tests.conftest import make_test_app
from tests.test_postgres import pg_cluster  # noqa: F401 (a fixture)
from webapp.practice import markdown_html

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


class Clock:
    """The app's clock, moved by the test."""

    def __init__(self, now=START):
        self.now = now

    def __call__(self):
        return self.now

    def forward(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(tmp_path, clock):
    return make_test_app(tmp_path, CLOCK=clock, PRACTICE_ANSWERS_PER_MINUTE=1000)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def skills(app):
    return app.extensions["practice_skills"]


def new_exercise(client, skill, **body):
    response = client.post(f"/api/practice/{skill}/exercise", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def answer(client, exercise, text):
    url = f"/api/practice/{exercise['skill']}/exercise/{exercise['id']}/answer"
    return client.post(url, json={"answer": text})


def right_answer(skills, exercise):
    """The engine's answer to the exercise, regenerated from its seed."""
    return generate(skills[exercise["skill"]], exercise["seed"]).expected


def wrong_answer(skills, exercise):
    """An answer that reads but is wrong: another choice, or the right value plus 7."""
    expected = right_answer(skills, exercise)
    choices = exercise["answer"]["choices"]
    if choices:
        return next(c for c in choices if c != expected)
    if exercise["answer"]["kind"] == "expression":
        return f"({expected}) + 7"
    return str(float(expected) + 7) if not expected.startswith("[") else "[7, 7, 7]"


def level_of(client, skill):
    listed = client.get("/api/practice").get_json()["skills"]
    return next(s for s in listed if s["id"] == skill)


def practise_right(client, skills, skill, times, first_seed=100):
    """Answer `times` different exercises of `skill` right; the last reply."""
    for seed in range(first_seed, first_seed + times):
        exercise = new_exercise(client, skill, seed=seed)
        reply = answer(client, exercise, right_answer(skills, exercise))
        assert reply.status_code == 200 and reply.get_json()["correct"] is True
    return reply.get_json()


# --- The contract ----------------------------------------------------------------------------


def test_every_skill_is_listed_new_with_no_review_and_no_cookie_is_set(client, skills):
    response = client.get("/api/practice")
    body = response.get_json()
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers  # reading writes nothing, not even a learner
    assert [s["id"] for s in body["skills"]] == list(skills)
    assert len(body["skills"]) >= 8
    for listed in body["skills"]:
        assert {"id", "title", "lesson", "level", "due"} <= set(listed)
        assert listed["level"] == "new" and listed["due"] is None
        assert listed["lesson"] == "chain-rule-in-networks" and listed["title"]


def test_an_exercise_has_the_contract_fields_and_never_its_answer(client, skills):
    for skill in skills:
        body = new_exercise(client, skill, seed=7)
        assert {"id", "skill", "seed", "prompt", "graph", "find", "answer"} <= set(body)
        assert body["skill"] == skill and body["seed"] == 7
        assert len(body["id"]) == 32 and int(body["id"], 16) >= 0
        kind = body["answer"]["kind"]
        assert kind in ("number", "expression", "choice")
        assert (body["answer"]["choices"] is not None) == (kind == "choice")
        if body["graph"] is not None:
            assert set(body["graph"]) == {"program", "values"}
        if body["find"] is not None:
            assert set(body["find"]) == {"node", "quantity", "parent"}
            assert body["find"]["quantity"] in ("grad", "local_grad", "signal")
        assert 'class="tex-source"' in body["prompt_html"]  # the browser typesets it
        secret = generate(skills[skill], 7)
        assert "expected" not in body and "explanation" not in body
        assert secret.explanation not in str(body)


def formulas_of(html: str) -> list[tuple[str, str]]:
    """The placeholders of an *_html field: (TeX, display) in order."""
    soup = BeautifulSoup(html, "html.parser")
    return [(s["data-tex"], s["data-display"]) for s in soup.select(".tex-source[data-tex]")]


def test_the_html_fields_hold_the_markdown_rendered_and_each_formula_as_its_tex(client, skills):
    for skill in skills:
        exercise = new_exercise(client, skill, seed=11)
        formulas = formulas_of(exercise["prompt_html"])
        assert formulas and 'class="katex"' not in exercise["prompt_html"]
        for tex, display in formulas:
            # Each placeholder holds a formula of the Markdown, unescaped, as its TeX.
            assert f"${tex}$" in exercise["prompt"] and display in ("false", "true")
        choices = exercise["answer"]["choices"] or []
        for choice, html in zip(choices, exercise["answer"]["choices_html"] or [], strict=True):
            assert not html.startswith("<p>")
            assert all(f"${tex}$" in choice for tex, _ in formulas_of(html))
        body = answer(client, exercise, wrong_answer(skills, exercise)).get_json()
        explained = formulas_of(body["explanation_html"])
        assert explained and all(tex in body["explanation"] for tex, _ in explained)


def test_tex_is_escaped_in_its_placeholder_and_display_math_says_so():
    html = markdown_html('If $a < b & c$ then\n\n$$\\text{"x"} > 1$$\n\nand **so** on.')
    assert formulas_of(html) == [("a < b & c", "false"), ('\\text{"x"} > 1', "true")]
    assert 'data-tex="a &lt; b &amp; c"' in html and "&quot;x&quot;" in html
    assert '<div class="math">' in html and "<strong>so</strong>" in html
    # A short formula keeps the punctuation after it on its line, as in the lesson.
    inline = markdown_html("so $x = 1$.", inline=True)
    assert inline.startswith('so <span class="math-nowrap"><span class="tex-source"')
    assert inline.endswith("</span>.</span>")


def test_no_practice_request_typesets_on_the_server(client, skills):
    # The lessons were typeset at start-up; after that the KaTeX process is released, and
    # practice must not start it again (it would stay, ~80 MB, in every worker).
    texmath.release()
    before = texmath.cache_info()
    for skill in skills:
        for seed in (5, 6):
            exercise = new_exercise(client, skill, seed=seed)
            if exercise["graph"]:  # the page draws it from the graph API
                assert client.post("/api/graph", json=exercise["graph"]).status_code == 200
            text = right_answer(skills, exercise) if seed == 5 else wrong_answer(skills, exercise)
            assert answer(client, exercise, text).status_code == 200
    assert client.get(f"/practice/{next(iter(skills))}").status_code == 200
    assert client.get("/practice").status_code == 200
    assert texmath.cache_info() == before  # no formula asked of KaTeX, not even from its cache
    assert texmath._renderer is None  # and its process was not started


def test_the_same_seed_gives_the_same_exercise_under_a_new_id(client, skills):
    skill = next(iter(skills))
    first, second = (new_exercise(client, skill, seed=123456789) for _ in range(2))
    assert first["id"] != second["id"]
    for field in ("prompt", "graph", "find", "answer", "seed"):
        assert first[field] == second[field]
    # The largest seed a JavaScript number holds exactly works too.
    assert new_exercise(client, skill, seed=MAX_SEED)["seed"] == MAX_SEED


def test_without_a_seed_or_a_body_the_seed_is_random_and_in_range(client, skills):
    skill = next(iter(skills))
    seeds = {new_exercise(client, skill)["seed"] for _ in range(5)}
    response = client.post(f"/api/practice/{skill}/exercise")  # no body at all
    assert response.status_code == 200
    seeds.add(response.get_json()["seed"])
    assert len(seeds) == 6 and all(0 <= s <= MAX_SEED for s in seeds)


def test_every_skill_is_graded_right_with_the_engines_answer_and_stored(client, skills, app):
    for skill in skills:
        exercise = new_exercise(client, skill, seed=31)
        reply = answer(client, exercise, right_answer(skills, exercise))
        body = reply.get_json()
        assert reply.status_code == 200, body
        assert {"correct", "note", "feedback", "explanation", "level", "due"} <= set(body)
        assert body["correct"] is True and body["note"] == "correct"
        assert body["level"] == "familiar" and body["due"] is None
        assert body["explanation"] and "data-tex=" in body["explanation_html"]
    stored = app.extensions["store"].practice_attempts()
    assert [row["skill"] for row in stored] == list(skills)
    assert all(row["correct"] and row["level_after"] == "familiar" for row in stored)


def test_a_wrong_answer_gets_the_graders_note_and_the_worked_solution(client, skills):
    skill = "mul-local" if "mul-local" in skills else next(iter(skills))
    exercise = new_exercise(client, skill, seed=3)
    body = answer(client, exercise, wrong_answer(skills, exercise)).get_json()
    assert body["correct"] is False and body["note"] != "correct" and body["feedback"]
    assert body["level"] == "attempted" and body["level_before"] == "new"
    assert body["explanation"] == generate(skills[skill], 3).explanation


# --- Errors ----------------------------------------------------------------------------------


def test_unknown_skills_and_exercises_are_404(client, skills):
    skill = next(iter(skills))
    assert client.post("/api/practice/no-such-skill/exercise", json={}).status_code == 404
    exercise = new_exercise(client, skill, seed=1)
    for url in (
        f"/api/practice/no-such-skill/exercise/{exercise['id']}/answer",
        f"/api/practice/{skill}/exercise/{'0' * 32}/answer",
        f"/api/practice/{skill}/exercise/not-an-id/answer",
    ):
        response = client.post(url, json={"answer": "1"})
        assert response.status_code == 404 and set(response.get_json()) >= {"error", "message"}
    # The exercise of one skill is not an exercise of another.
    other = [s for s in skills if s != skill][0]
    url = f"/api/practice/{other}/exercise/{exercise['id']}/answer"
    assert client.post(url, json={"answer": "1"}).status_code == 404


def test_another_learners_exercise_is_not_found(app, client, skills):
    exercise = new_exercise(client, next(iter(skills)), seed=1)
    stranger = app.test_client()
    stranger.get("/api/practice")
    assert answer(stranger, exercise, "1").status_code == 404
    assert answer(client, exercise, "1").status_code == 200  # the owner still may


@pytest.mark.parametrize("seed", [-1, MAX_SEED + 1, "5", 1.5, True, None, [1]])
def test_a_bad_seed_or_an_unknown_field_is_400(client, skills, seed):
    response = client.post(f"/api/practice/{next(iter(skills))}/exercise", json={"seed": seed})
    assert response.status_code == 400 and response.get_json()["message"]
    response = client.post(f"/api/practice/{next(iter(skills))}/exercise", json={"sed": 1})
    assert response.status_code == 400 and "sed" in response.get_json()["message"]


@pytest.mark.parametrize("text", ["1 +", "((", "__import__('os')", "9**9**9**9", "x" * 1001, 5])
def test_an_unreadable_answer_is_400_with_its_column_and_changes_nothing(client, skills, text):
    exercise = new_exercise(client, "mul-local", seed=2)
    response = answer(client, exercise, text)
    body = response.get_json()
    assert response.status_code == 400, body
    assert isinstance(body["column"], int) and body["column"] >= 1 and body["message"]
    assert level_of(client, "mul-local")["level"] == "new"
    # Still unanswered: the exercise can be answered now.
    assert answer(client, exercise, right_answer(skills, exercise)).status_code == 200


def test_a_choice_outside_the_choices_is_400(client, skills):
    choice = next(s for s in skills.values() if s.kind == "choice")
    exercise = new_exercise(client, choice.id, seed=4)
    response = answer(client, exercise, "not one of them")
    assert response.status_code == 400 and "column" in response.get_json()


def test_a_second_answer_is_409_and_the_first_one_stands(client, skills, app):
    exercise = new_exercise(client, "mul-local", seed=5)
    assert answer(client, exercise, right_answer(skills, exercise)).get_json()["correct"]
    response = answer(client, exercise, wrong_answer(skills, exercise))
    body = response.get_json()
    assert response.status_code == 409 and body["error"] == "Conflict"
    assert body["level"] == "familiar"  # the level as the first answer left it
    assert len(app.extensions["store"].practice_attempts()) == 1


def test_not_json_is_415_and_too_large_is_413(client, skills):
    skill = next(iter(skills))
    url = f"/api/practice/{skill}/exercise"
    assert client.post(url, data="seed=1", content_type="text/plain").status_code == 415
    big = '{"seed": 1, "pad": "' + "x" * 70_000 + '"}'
    assert client.post(url, data=big, content_type="application/json").status_code == 413
    exercise = new_exercise(client, skill, seed=1)
    answer_url = f"{url}/{exercise['id']}/answer"
    assert client.post(answer_url, data="1", content_type="text/plain").status_code == 415
    response = client.post(answer_url, data="[1]", content_type="application/json")
    assert response.status_code == 400


def test_too_many_answers_a_minute_is_429(tmp_path, skills):
    app = make_test_app(tmp_path, PRACTICE_ANSWERS_PER_MINUTE=2)
    client = app.test_client()
    exercises = [new_exercise(client, "mul-local", seed=s) for s in range(3)]
    assert [answer(client, e, "1").status_code for e in exercises[:2]] == [200, 200]
    response = answer(client, exercises[2], "1")
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert len(app.extensions["store"].practice_attempts()) == 2


# --- Mastery through the API -------------------------------------------------------------------


def test_three_right_in_a_row_make_proficient_with_a_review_in_a_day(client, skills):
    reply = practise_right(client, skills, "mul-local", STREAK)
    assert reply["level"] == "proficient"
    assert reply["due"] == (START + REVIEW_LADDER[0]).date().isoformat()
    assert level_of(client, "mul-local")["level"] == "proficient"


def test_the_same_exercise_right_again_does_not_build_the_streak(client, skills):
    for _ in range(STREAK + 1):
        exercise = new_exercise(client, "mul-local", seed=42)
        assert answer(client, exercise, right_answer(skills, exercise)).get_json()["correct"]
    assert level_of(client, "mul-local")["level"] == "familiar"


def test_a_miss_lowers_the_level_by_one(client, skills):
    practise_right(client, skills, "mul-local", STREAK)
    exercise = new_exercise(client, "mul-local", seed=900)
    body = answer(client, exercise, wrong_answer(skills, exercise)).get_json()
    assert (body["level_before"], body["level"]) == ("proficient", "familiar")
    assert LEVELS.index(body["level_before"]) - LEVELS.index(body["level"]) == 1


def test_moving_the_clock_makes_the_review_due_and_a_right_review_masters(client, skills, clock):
    practise_right(client, skills, "mul-local", STREAK)
    listed = level_of(client, "mul-local")
    assert listed["due_now"] is False
    clock.forward(hours=23)
    assert level_of(client, "mul-local")["due_now"] is False
    clock.forward(hours=2)
    listed = level_of(client, "mul-local")
    assert listed["due_now"] is True and listed["level"] == "proficient"
    # Due reviews come first on the practice page.
    page = client.get("/practice").get_data(as_text=True)
    assert page.index('data-skill="mul-local"') < page.index('data-skill="add-local"')
    reply = practise_right(client, skills, "mul-local", 1, first_seed=500)
    assert reply["level"] == "mastered" and reply["due_now"] is False
    assert reply["due"] == (clock.now + REVIEW_LADDER[1]).date().isoformat()


# --- Two tabs at once, on SQLite and on PostgreSQL ------------------------------------------------

_databases = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_app(request, tmp_path, clock):
    """The app on an empty database of each kind."""
    config = {"CLOCK": clock, "PRACTICE_ANSWERS_PER_MINUTE": 1000}
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_cluster")
        name = f"practice_{next(_databases)}"
        admin = create_engine(url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
        config["DATABASE_URL"] = url(name)
    app = make_test_app(tmp_path, **config)
    yield app
    app.extensions["store"].engine.dispose()


@pytest.mark.parametrize("tabs_open", [2, 4])
def test_concurrent_answers_promote_once(any_app, skills, tabs_open, clock):
    app = any_app
    client = app.test_client()
    # Familiar with a run of STREAK - 1: the next right answer would make it proficient.
    practise_right(client, skills, "mul-local", STREAK - 1)
    exercise = new_exercise(client, "mul-local", seed=777)
    text = right_answer(skills, exercise)
    tabs = [app.test_client() for _ in range(tabs_open)]
    for tab in tabs:  # the same learner in two tabs: the same cookie
        tab.set_cookie("session", client.get_cookie("session").value)
    start = threading.Barrier(len(tabs))
    statuses = []

    def send(tab):
        start.wait()
        statuses.append(answer(tab, exercise, text).status_code)

    threads = [threading.Thread(target=send, args=(tab,)) for tab in tabs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [200] + [409] * (tabs_open - 1)
    rows = [r for r in app.extensions["store"].practice_attempts() if r["seed"] == 777]
    assert len(rows) == 1 and rows[0]["level_after"] == "proficient"
    mastery = app.extensions["store"].mastery(rows[0]["learner"], "mul-local")
    assert mastery.level == "proficient" and mastery.streak == 0
    # The review date survives the round trip through the database as an aware time.
    assert mastery.due == clock.now + REVIEW_LADDER[0]
    clock.forward(days=1)
    assert level_of(client, "mul-local")["due_now"] is True
