"""Helpers for the teacher tests: accounts, logins and the CSRF token a page carries."""

import re

import pytest

from webapp.teach.auth import hash_password

PASSWORD = "correct horse battery"


def make_teacher(app, email="ann@example.org", password=PASSWORD) -> int:
    """A teacher account stored as the command stores it; its id."""
    with app.app_context():
        return app.extensions["store"].create_teacher(email, hash_password(password))


def page_token(html: str) -> str:
    """The CSRF token of a page: its meta tag, or its form's hidden field."""
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', html
    )
    assert found, "no CSRF token on the page"
    return found.group(1)


def login(client, email="ann@example.org", password=PASSWORD, next_url=None, **environ):
    """Post the login form as a browser does (the token from the form); the response."""
    token = page_token(client.get("/teach/login", **environ).text)
    url = "/teach/login" if next_url is None else f"/teach/login?next={next_url}"
    form = {"email": email, "password": password, "csrf_token": token}
    return client.post(url, data=form, **environ)


def teacher_token(client) -> str:
    """The token a logged-in teacher's page carries, for X-CSRFToken."""
    page = client.get("/teach")
    assert page.status_code == 200
    return page_token(page.text)


@pytest.fixture
def teacher(app):
    return make_teacher(app)


@pytest.fixture
def teacher_client(app, teacher):
    """A client logged in as the teacher ann@example.org."""
    client = app.test_client()
    assert login(client).status_code == 302
    return client
