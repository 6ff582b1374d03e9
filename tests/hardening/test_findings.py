"""Smaller findings of the attack on the running app (issue 15, section 5), one test each."""

import os
import re
import stat
from pathlib import Path

from flask.sessions import SecureCookieSessionInterface

from tests.conftest import make_test_app

QUIZ = "/api/lessons/chain-rule-in-networks/quiz"
ROOT = Path(__file__).resolve().parent.parent.parent


def test_a_forwarded_host_from_the_client_never_makes_a_redirect_to_another_host(tmp_path):
    app = make_test_app(tmp_path, PROXY_COUNT=1)
    headers = {"Host": "lessons.school.example", "X-Forwarded-Host": "evil.example"}
    response = app.test_client().get("/api", headers=headers)
    assert response.status_code == 308
    assert response.headers["Location"] == "http://lessons.school.example/api/"


def test_the_readme_proxy_block_sets_what_the_app_trusts():
    # The app believes X-Forwarded-For and -Proto (and the Host header); the recipe sets them all
    # and nothing else it would have to trust.
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```nginx\n(.*?)```", readme, re.S).group(1)
    forwarded = set(re.findall(r"proxy_set_header (X-Forwarded-[\w-]+)", block))
    assert forwarded == {"X-Forwarded-For", "X-Forwarded-Proto"}
    assert "proxy_set_header Host $host;" in block


def cookie_with(app, learner):
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    return serializer.dumps({"learner": learner})


def test_a_learner_id_with_a_trailing_newline_is_not_a_learner(tmp_path):
    app = make_test_app(tmp_path)
    good = "0123456789abcdef0123456789abcdef"
    for learner, kept in [(good, True), (good + "\n", False), (good + "0", False)]:
        client = app.test_client()
        client.set_cookie("session", cookie_with(app, learner))
        client.post(f"{QUIZ}/neuron-dw/answer", json={"choice": "a"})
        stored = app.extensions["store"].attempts()[-1].learner
        assert (stored == learner) is kept, repr(learner)
        assert re.fullmatch(r"[0-9a-f]{32}", stored)


def test_the_instance_folder_and_the_database_are_private(tmp_path):
    app = make_test_app(tmp_path)
    app.test_client().post(f"{QUIZ}/neuron-dw/answer", json={"choice": "a"})
    instance = Path(app.instance_path)
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    for name in os.listdir(instance):
        mode = stat.S_IMODE((instance / name).stat().st_mode)
        assert mode & 0o077 == 0, f"{name} is readable by others: {oct(mode)}"
    assert (instance / "lessons.db").exists()
