"""Fixtures shared by every test: the app, a test client, a live server and a real Chromium."""

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from webapp import create_app

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


def make_test_app(tmp_path: Path, **config):
    """A fresh app with its own instance folder (database, secret key) under `tmp_path`."""
    instance = tmp_path / "instance"
    settings = {"TESTING": True, "INSTANCE_PATH": str(instance), "SECRET_KEY": "test-secret"}
    settings.update(config)
    return create_app(settings)


@pytest.fixture
def app(tmp_path):
    return make_test_app(tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


class LiveServer:
    """A threaded Werkzeug server on a free loopback port, serving one app."""

    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    return make_test_app(tmp_path_factory.mktemp("live"))


@pytest.fixture(scope="session")
def live_server(live_app):
    """The base URL of a live server shared by the browser tests."""
    server = LiveServer(live_app).start()
    yield server.url
    server.stop()


# --- A real headless Chromium (see shared/TESTING.md) ----------------------------------------


def chromium_executable():
    """Debian's Chromium (or CHROMIUM_PATH); None means Playwright's own download."""
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    return path or None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Without the networking flags Chromium keeps trying to reach hosts this machine cannot.
    args = [
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
    ]
    launch = {**browser_type_launch_args, "args": args}
    executable = chromium_executable()
    if executable:
        launch["executable_path"] = executable
    return launch


@pytest.fixture
def console_errors(page):
    """Collect console errors and uncaught exceptions of `page`; tests assert it stays empty."""
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


@pytest.fixture
def axe_check():
    """Run axe-core on a page and fail with the violations listed when there are any."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page, context=""):
        results = axe.run(page)
        violations = results.response.get("violations", [])
        summary = [
            f"{v['id']} ({v['impact']}): {v['help']} -> "
            + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:5])
            for v in violations
        ]
        assert results.violations_count == 0, f"axe violations {context}:\n" + "\n".join(summary)

    return check


@pytest.fixture(scope="session")
def artifacts_dir():
    """Where browser tests write screenshots for people to look at."""
    path = ARTIFACTS / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def pytest_collection_modifyitems(items):
    # Every test under tests/browser drives Chromium; mark them so they can be selected.
    for item in items:
        if "tests/browser" in item.nodeid.replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
