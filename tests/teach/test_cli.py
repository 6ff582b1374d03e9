"""`flask --app app teacher create|list|delete`: accounts made by an administrator."""

import os
import pty
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT
from tests.teach.conftest import PASSWORD, login


def run(app, *args, stdin=None):
    return app.test_cli_runner().invoke(args=["teacher", *args], input=stdin)


def stored(app, email):
    with app.app_context():
        return app.extensions["store"].teacher_by_email(email)


def test_create_reads_one_line_of_stdin_and_the_teacher_can_log_in(app, client):
    result = run(app, "create", "  Ann@Example.ORG ", stdin=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "ann@example.org" in result.output
    row = stored(app, "ann@example.org")
    assert row is not None and row.password_hash.startswith("$argon2id$")
    assert login(client, "ann@example.org", PASSWORD).status_code == 302


def test_a_duplicate_email_is_a_clear_error(app):
    assert run(app, "create", "ann@example.org", stdin=PASSWORD + "\n").exit_code == 0
    again = run(app, "create", "ANN@example.org", stdin="another long password\n")
    assert again.exit_code == 1
    assert "already exists" in again.output and "ann@example.org" in again.output
    assert len(_listed(app)) == 1


@pytest.mark.parametrize(
    "email", ["ann", "ann@", "@example.org", "ann@example", "a b@example.org", "ann@@x.org"]
)
def test_an_email_of_the_wrong_shape_is_refused(app, email):
    result = run(app, "create", email, stdin=PASSWORD + "\n")
    assert result.exit_code == 1
    assert "does not look like an email" in result.output
    assert _listed(app) == []


@pytest.mark.parametrize("password", ["", "short", "123456789"])
def test_a_short_password_is_refused(app, password):
    result = run(app, "create", "ann@example.org", stdin=password + "\n")
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    assert stored(app, "ann@example.org") is None


def _listed(app):
    output = run(app, "list").output
    return [line.split("\t")[0] for line in output.splitlines() if "\t" in line]


def test_list_shows_each_teacher_with_their_classes(app, teacher_client):
    assert run(app, "create", "bob@example.org", stdin=PASSWORD + "\n").exit_code == 0
    token = teacher_client.get("/teach").text.split('name="csrf-token" content="')[1].split('"')[0]
    teacher_client.post("/api/teach/classes", json={"name": "A"}, headers={"X-CSRFToken": token})
    output = run(app, "list").output
    assert _listed(app) == ["ann@example.org", "bob@example.org"]
    assert "ann@example.org\tcreated " in output and "\t1 classes" in output
    assert "\t0 classes" in output


def test_list_says_when_there_is_nobody(app):
    assert "No teacher accounts yet." in run(app, "list").output


def test_delete_removes_the_account_and_its_sessions(app, teacher_client):
    result = run(app, "delete", "ANN@example.org")
    assert result.exit_code == 0, result.output
    assert stored(app, "ann@example.org") is None
    assert teacher_client.get("/api/teach/classes").status_code == 401
    missing = run(app, "delete", "ann@example.org")
    assert missing.exit_code == 1 and "No teacher has the email" in missing.output


# --- The real command, as an administrator types it --------------------------------------------


def _environment(tmp_path):
    return {
        **os.environ,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "cli-test-secret",
        "PYTHONPATH": str(ROOT),
    }


def _flask(tmp_path, *args, stdin=""):
    command = [sys.executable, "-m", "flask", "--app", "app", "teacher", *args]
    return subprocess.run(
        command,
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_environment(tmp_path),
        timeout=120,
    )


def test_the_flask_command_with_a_pipe(tmp_path):
    created = _flask(tmp_path, "create", "ann@example.org", stdin=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    duplicate = _flask(tmp_path, "create", "ann@example.org", stdin=PASSWORD + "\n")
    assert duplicate.returncode == 1
    assert "already exists" in duplicate.stderr
    listed = _flask(tmp_path, "list")
    assert listed.stdout.startswith("ann@example.org\t")
    assert PASSWORD not in created.stdout + created.stderr + listed.stdout


def _read_until(fd, text, seconds=60):
    seen = b""
    deadline = time.monotonic() + seconds
    while text.encode() not in seen:
        assert time.monotonic() < deadline, f"waited for {text!r}, got {seen!r}"
        try:
            seen += os.read(fd, 1024)
        except OSError:  # the terminal closed: the command ended
            break
    return seen.decode(errors="replace")


def test_the_flask_command_on_a_terminal_asks_twice_and_echoes_nothing(tmp_path):
    main, terminal = pty.openpty()
    command = [sys.executable, "-m", "flask", "--app", "app", "teacher", "create", "t@example.org"]
    process = subprocess.Popen(
        command,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        cwd=ROOT,
        env=_environment(tmp_path),
    )
    os.close(terminal)
    try:
        _read_until(main, "Password:")
        os.write(main, (PASSWORD + "\n").encode())
        _read_until(main, "Repeat for confirmation:")
        os.write(main, (PASSWORD + "\n").encode())
        output = _read_until(main, "Created the teacher")
        assert process.wait(timeout=60) == 0
    finally:
        process.kill()
        os.close(main)
    assert PASSWORD not in output  # hidden input: the terminal never shows it
    listed = _flask(tmp_path, "list")
    assert listed.stdout.startswith("t@example.org\t")
