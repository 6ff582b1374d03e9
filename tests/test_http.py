"""Every kind of response carries the security headers; static files are cached and compressed."""

from pathlib import Path

import pytest

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def assert_secure(response):
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    csp = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe-eval" not in csp
    assert "unsafe-inline" not in directives["script-src"]
    assert directives["frame-ancestors"] == "'none'"
    assert "Strict-Transport-Security" not in response.headers  # only over HTTPS


@pytest.mark.parametrize(
    ("path", "status", "kind"),
    [
        ("/", 200, "text/html"),
        ("/api/ping", 200, "application/json"),
        ("/static/js/main.js", 200, "text/javascript"),
        ("/no-such-page", 404, "text/html"),
        ("/api/no-such-endpoint", 404, "application/json"),
    ],
)
def test_every_kind_of_response_has_security_headers(client, path, status, kind):
    response = client.get(path)
    assert response.status_code == status
    assert response.mimetype == kind
    assert_secure(response)


def test_hsts_only_over_https(client):
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_static_urls_are_content_hashed_and_cached_for_a_year(client):
    page = client.get("/").get_data(as_text=True)
    assert "/static/js/main.js?v=" in page
    url = page.split('src="', 1)[1].split('"', 1)[0]
    hashed = client.get(url)
    assert "immutable" in hashed.headers["Cache-Control"]
    assert "max-age=31536000" in hashed.headers["Cache-Control"]
    plain = client.get("/static/js/main.js")
    assert plain.headers["Cache-Control"] == "no-cache"
    assert plain.headers.get("ETag")
    again = client.get("/static/js/main.js", headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304


def test_text_responses_are_compressed(client):
    response = client.get("/static/js/main.js", headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["Content-Encoding"] in {"br", "gzip"}
    assert "Accept-Encoding" in response.headers["Vary"]


def test_static_files_are_compressed_once_and_still_revalidate(client):
    url = "/static/vendor/plotly/plotly-basic.min.js"
    raw = client.get(url)
    assert "Content-Encoding" not in raw.headers
    for encoding in ("br", "gzip"):
        response = client.get(url, headers={"Accept-Encoding": encoding})
        assert response.headers["Content-Encoding"] == encoding
        assert len(response.data) < len(raw.data) / 2
        etag = response.headers["ETag"]
        again = client.get(url, headers={"Accept-Encoding": encoding, "If-None-Match": etag})
        assert again.status_code == 304


def test_compressed_api_answers_are_never_shared_between_requests(client):
    """Two requests to one URL with different bodies get their own compressed answers."""
    import gzip
    import json

    headers = {"Accept-Encoding": "gzip"}
    answers = []
    for w in (0.5, 2.0):
        body = {"preset": "neuron", "values": {"w": w}}
        response = client.post("/api/graph", json=body, headers=headers)
        assert response.headers["Content-Encoding"] == "gzip"
        answers.append(json.loads(gzip.decompress(response.data)))
    values = [{n["id"]: n["value"] for n in answer["nodes"]}["w"] for answer in answers]
    assert values == [0.5, 2.0]


def test_lesson_page_is_rendered_once_and_served_with_an_etag(app, client, monkeypatch):
    url = "/lessons/chain-rule-in-networks"
    first = client.get(url, headers={"Accept-Encoding": "br"})
    assert first.status_code == 200
    assert first.headers["Content-Encoding"] == "br"
    etag = first.headers["ETag"]
    renders = []
    monkeypatch.setattr("webapp.pages.render_template", lambda *a, **k: renders.append(a))
    again = client.get(url, headers={"Accept-Encoding": "br", "If-None-Match": etag})
    assert again.status_code == 304
    plain = client.get(url)
    assert plain.status_code == 200 and b"The chain rule in networks" in plain.data
    assert renders == []  # served from the copy rendered once


def test_the_production_app_never_runs_the_debugger(tmp_path, monkeypatch):
    import app as entry

    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    production = entry.create_app()  # as gunicorn builds it: "app:create_app()"
    assert production.debug is False
    assert production.config["TESTING"] is False
    assert not hasattr(entry, "app"), "importing the entry point must build nothing"
    makefile = (Path(__file__).parent.parent / "Makefile").read_text()
    run_recipe = makefile.split("\nrun:")[1].split("\n\n")[0]
    assert "gunicorn" in run_recipe and "--debug" not in run_recipe


def test_the_learner_cookie_is_secure_over_https_only(client):
    quiz = "/api/lessons/chain-rule-in-networks/quiz"
    over_https = client.get(quiz, base_url="https://localhost").headers["Set-Cookie"]
    assert "Secure" in over_https and "HttpOnly" in over_https and "SameSite=Lax" in over_https
    over_http = client.application.test_client().get(quiz).headers["Set-Cookie"]
    assert "Secure" not in over_http and "HttpOnly" in over_http
