"""A teacher logs in and creates a class, a student joins it with the code: by keyboard only,
in a real Chromium, with axe finding nothing and screenshots at 360 and 1280 px."""

import contextlib
import re

import pytest

from tests.teach.conftest import PASSWORD
from webapp.teach.auth import hash_password
from webapp.teach.store import DuplicateTeacher

EMAIL = "browser-teacher@example.org"


@pytest.fixture(scope="module")
def teacher(live_app):
    with live_app.app_context(), contextlib.suppress(DuplicateTeacher):  # made by an earlier run
        live_app.extensions["store"].create_teacher(EMAIL, hash_password(PASSWORD))
    return EMAIL


def tab_to(page, selector, presses=30):
    """Press Tab until `selector` has the focus (as a keyboard user would reach it)."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineWidth")
            assert outline not in ("0px", ""), f"{selector} has no visible focus"
            return
    raise AssertionError(f"Tab never reached {selector}")


# The character after each line break inside an element (its text's rendered lines).
LINE_BREAKS = """(el) => {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  const chars = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode())
    for (let i = 0; i < node.length; i += 1) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      chars.push({ c: node.data[i], top: range.getBoundingClientRect().top });
    }
  return chars.slice(1).flatMap((ch, i) => (ch.top > chars[i].top + 2 ? [ch.c] : []));
}"""


def focused_text(page):
    """The text of the element holding the focus (the page's body when nothing has it)."""
    return page.evaluate(
        "() => document.activeElement === document.body ? '<body>' "
        ": document.activeElement.innerText"
    )


def log_in_by_keyboard(page, live_server):
    page.goto(live_server + "/teach")
    assert re.search(r"/teach/login\?next=/teach$", page.url)
    tab_to(page, "#email")
    page.keyboard.type(EMAIL)
    tab_to(page, "#password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(live_server + "/teach")


def test_teacher_and_student_by_keyboard(page, browser, live_server, teacher, console_errors):
    log_in_by_keyboard(page, live_server)
    assert page.get_by_role("heading", name="Your classes", level=1).is_visible()
    # Create a class: Tab to its name, type, Enter.
    tab_to(page, "#class-name")
    page.keyboard.type("Keyboard group")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    notice = page.get_by_role("status").filter(has_text="Keyboard group")
    assert focused_text(page) == notice.inner_text()  # the keyboard goes on from the message
    code = re.search(r"join code is ([A-Z0-9]{8})", notice.inner_text()).group(1)
    row = page.locator("tr", has_text="Keyboard group")
    assert row.locator("code").inner_text() == code
    assert row.locator("td").nth(1).inner_text() == "0"

    # A student, in a browser of their own, types the code on the course page.
    student_context = browser.new_context()
    student = student_context.new_page()
    try:
        student.goto(live_server + "/")
        tab_to(student, "#course-join-code")
        student.keyboard.type(f"{code[:4].lower()}-{code[4:].lower()}")
        student.keyboard.press("Enter")
        student.wait_for_url(live_server + f"/join/{code}")
        assert student.get_by_role("heading", name="Keyboard group", level=1).is_visible()
        tab_to(student, "#nickname")
        student.keyboard.type("Kim")
        student.keyboard.press("Enter")
        student.wait_for_url(live_server + "/join")
        assert (
            student.get_by_role("status").inner_text() == "You joined \u201cKeyboard group\u201d."
        )
        assert focused_text(student) == "You joined \u201cKeyboard group\u201d."
        assert student.get_by_role("button", name="Leave Keyboard group").is_visible()
        # The teacher sees one learner now.
        page.reload()
        assert row.locator("td").nth(1).inner_text() == "1"
        # The student leaves, by keyboard too.
        tab_to(student, "button[aria-label='Leave Keyboard group']")
        with student.expect_navigation():
            student.keyboard.press("Enter")
        assert student.get_by_role("status").inner_text() == "You left the class."
        page.reload()
        assert row.locator("td").nth(1).inner_text() == "0"
    finally:
        student_context.close()
    # Log out: the teacher's pages lead to the login again.
    tab_to(page, ".teach-nav button")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/teach/login$"))
    page.goto(live_server + "/teach")
    assert "/teach/login" in page.url
    assert console_errors == []


def test_after_a_refused_form_the_focus_is_on_the_message(page, live_server, teacher):
    """A failed login and an unknown join code: the page comes back with the focus on what
    went wrong, and Tab goes on to the field to fix."""
    page.goto(live_server + "/teach/login")
    tab_to(page, "#email")
    page.keyboard.type("nobody-here@example.org")
    tab_to(page, "#password")
    page.keyboard.type("not the password")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    alert = page.get_by_role("alert")
    assert alert.is_visible()
    assert page.evaluate("() => document.activeElement.id") == "login-error"
    assert focused_text(page) == alert.inner_text()
    tab_to(page, "#email", presses=1)  # the next stop is the field the message describes

    page.goto(live_server + "/join")
    tab_to(page, "#join-code")
    page.keyboard.type("NOPE2345")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "No class has the code NOPE2345" in focused_text(page)
    tab_to(page, "#join-code", presses=1)


def test_no_axe_violations_and_screenshots(page, live_server, teacher, axe_check, artifacts_dir):
    log_in_by_keyboard(page, live_server)
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    created = page.request.post(
        live_server + "/api/teach/classes",
        data={"name": "Deep learning, group B (Thursday mornings)"},
        headers={"X-CSRFToken": token},
    )
    assert created.status == 201
    code = created.json()["code"]
    page.request.post(live_server + "/api/classes/join", data={"code": code, "nickname": "Sam"})
    pages = {
        "teach-classes": "/teach",
        "join-class": f"/join/{code}",
        "join-start": "/join",
        "join-missing": "/join/NOPE2345",
        "course-join-card": "/",
    }
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for name, path in pages.items():
            page.goto(live_server + path)
            axe_check(page, f"on {path} ({scheme})")
            for width in (360, 1280):
                page.set_viewport_size({"width": width, "height": 900})
                if scheme == "light" or width == 360:
                    shot = artifacts_dir / f"{name}-{width}-{scheme}.png"
                    page.screenshot(path=str(shot), full_page=True)
                if name == "teach-classes" and width == 1280:
                    # The join link reads whole and breaks, if at all, before the code.
                    link = page.locator(f"tr:has(code:text-is('{code}')) .join-link")
                    assert link.inner_text().replace("\n", "") == f"{live_server}/join/{code}"
                    code_lines = link.locator(".join-link-code").evaluate(
                        "(el) => el.getClientRects().length"
                    )
                    assert code_lines == 1
                    assert link.evaluate(LINE_BREAKS) in ([], ["/"]), "broken mid-word"
                # Nothing wider than the screen at 360 px.
                overflow = page.evaluate(
                    "() => document.documentElement.scrollWidth - window.innerWidth"
                )
                assert overflow <= 0, f"{path} is {overflow} px too wide at {width}"
    # The login page, logged out.
    fresh = page.context.browser.new_context()
    login = fresh.new_page()
    try:
        for width in (360, 1280):
            login.set_viewport_size({"width": width, "height": 900})
            login.goto(live_server + "/teach/login")
            axe_check(login, f"on the login page at {width}")
            login.screenshot(path=str(artifacts_dir / f"teach-login-{width}.png"), full_page=True)
    finally:
        fresh.close()
