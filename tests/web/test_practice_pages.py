"""The practice pages: every skill with its level and review, one skill's page, the mixed review,
the 404 for an unknown skill, and the lesson's and course's links to practice."""

import pytest
from bs4 import BeautifulSoup

from lessonengine.assessment.mastery import STREAK
from tests.api.test_practice_api import Clock, practise_right
from tests.conftest import make_test_app

LESSON = "chain-rule-in-networks"


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(tmp_path, clock):
    return make_test_app(tmp_path, CLOCK=clock)


@pytest.fixture
def skills(app):
    return app.extensions["practice_skills"]


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, url
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_the_overview_lists_every_skill_new_and_nothing_due(client, skills):
    html = page(client, "/practice")
    cards = html.select("[data-skill]")
    assert [c["data-skill"] for c in cards] == list(skills)
    for card in cards:
        assert card.select_one('[data-field="level-label"]').text == "New"
        assert card.select_one('[data-field="due"]').text.strip() == "No review planned"
        assert card.a["href"] == f"/practice/{card['data-skill']}"
    assert "Nothing is due" in html.select_one(".practice-review-card").text
    assert html.select_one('nav a[aria-current="page"]').text == "Practice"


def test_a_due_review_comes_first_and_the_mixed_review_takes_it(client, skills, clock):
    last = list(skills)[-1]
    practise_right(client, skills, last, STREAK)
    html = page(client, "/practice")
    card = html.select_one(f'[data-skill="{last}"]')
    assert card.select_one('[data-field="level-label"]').text == "Proficient"
    assert card.select_one('[data-field="due"]').text.strip() == "Next review 2026-12-01"
    assert html.select("[data-skill]")[0]["data-skill"] != last  # not due yet: in course order
    clock.forward(days=1, minutes=1)
    html = page(client, "/practice")
    first = html.select("[data-skill]")[0]
    assert first["data-skill"] == last and "is-due" in first["class"]
    assert first.select_one('[data-field="due"]').text.strip() == "Review due now"
    link = html.select_one('.practice-review-card a[href="/practice/mixed-review"]')
    assert link is not None
    review = page(client, "/practice/mixed-review")
    config = review.select_one("[data-practice]")["data-practice"]
    assert f'"id": "{last}"' in config and '"mode": "review"' in config


def test_a_skill_page_has_the_exercise_parts_and_the_learners_level(client, skills):
    skill = next(iter(skills))
    practise_right(client, skills, skill, 1)
    response = client.get(f"/practice/{skill}?seed=12")
    assert response.headers["Cache-Control"] == "no-store"
    html = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert html.h1.text == skills[skill].title
    assert html.select_one('[data-field="level-label"]').text == "Familiar"
    assert html.select_one('input[data-input="answer"]') is not None
    assert html.select_one('label[for="practice-answer"]') is not None
    assert html.select_one('button[data-action="check"]') is not None
    assert html.select_one('button[data-action="next"]') is not None
    feedback = html.select_one('[data-field="feedback"]')
    assert feedback["role"] == "status" and feedback["aria-live"] == "polite"
    assert html.select_one('script[src*="js/practice/page.js"]') is not None
    # The browser typesets the formulas: KaTeX's stylesheet is in the page from the start, and
    # the page holds no exercise of its own to show before its script (no TeX to flash).
    assert html.select_one('link[rel="stylesheet"][href*="vendor/katex/katex.min.css"]')
    assert not html.select(".tex-source, .katex")


def test_an_unknown_skill_is_a_friendly_404_page(client):
    html = page(client, "/practice/no-such-skill", status=404)
    assert "no skill called" in html.text and html.select_one("nav a[href='/practice']")


def test_the_mixed_review_with_nothing_due_says_so(client):
    html = page(client, "/practice/mixed-review")
    assert "Nothing is due for review now" in html.text
    assert html.select_one('[data-input="answer"]') is None


def test_the_lesson_links_to_each_of_its_skills_and_the_course_page_to_practice(client, skills):
    lesson = page(client, f"/lessons/{LESSON}")
    links = [a["href"] for a in lesson.select(".lesson-practice a")]
    listed = client.application.extensions["course"].lesson(LESSON).meta["skills"]
    assert links == [f"/practice/{skill}" for skill in listed]
    assert len(listed) >= 8 and set(listed) <= set(skills)
    course = page(client, "/")
    line = course.select_one(f'[data-practice-progress="{LESSON}"]')
    assert line.a["href"] == "/practice" and f"{len(listed)} skills" in line.text


def test_a_lesson_naming_an_unknown_skill_stops_the_app(tmp_path):
    import shutil

    from lessonengine.content import ContentError
    from tests.conftest import ROOT

    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    lesson = content / f"{LESSON}.md"
    lesson.write_text(lesson.read_text().replace("  - mul-local\n", "  - no-such-skill\n", 1))
    with pytest.raises(ContentError, match="no-such-skill"):
        make_test_app(tmp_path, CONTENT_DIR=str(content))
