"""Anonymous learners: the app's secret key, and a random learner id in a signed cookie.

No account and no personal data: a learner is a random id that Flask's session cookie carries,
signed with the secret key (so nobody can pose as another learner) and invisible to scripts.
"""

import contextlib
import os
import re
import secrets
import uuid
from datetime import timedelta

from flask import Flask, session

SECRET_FILE = "secret_key"
SESSION_KEY = "learner"
LEARNER_PATTERN = re.compile(r"[0-9a-f]{32}")  # used with fullmatch: "$" allows a final "\n"
# A student who comes back within a year finds their progress.
COOKIE_LIFETIME = timedelta(days=365)


def load_secret_key(instance_path: str) -> str:
    """The key kept in `instance_path`, generated on first use; every process reads the same one.

    The new key is written to a private temporary file, then linked into place: the link is an
    exclusive create (like O_CREAT|O_EXCL) that fails if another process got there first, and the
    file never exists half-written. The loser of that race reads the winner's key.
    """
    path = os.path.join(instance_path, SECRET_FILE)
    if not os.path.exists(path):
        key = secrets.token_hex(32)
        temporary = f"{path}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as file:
                file.write(key + "\n")
                file.flush()
                os.fsync(file.fileno())
            # If another process won, its key is the one read below.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    with open(path, encoding="ascii") as file:
        key = file.read().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path}: the secret key is too short; delete the file for a new one")
    return key


def init_app(app: Flask) -> None:
    """Give the app its secret key and a session cookie fit for a learner id."""
    key = app.config.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    app.config["SECRET_KEY"] = key or load_secret_key(app.instance_path)
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if app.config.get("PERMANENT_SESSION_LIFETIME") == timedelta(days=31):  # Flask's default
        app.config["PERMANENT_SESSION_LIFETIME"] = COOKIE_LIFETIME


def current_learner(create: bool = True) -> str | None:
    """This request's learner id; a new one (sent back in the cookie) when there is none yet."""
    learner = session.get(SESSION_KEY)
    if isinstance(learner, str) and LEARNER_PATTERN.fullmatch(learner):
        return learner
    if not create:
        return None
    learner = uuid.uuid4().hex
    session[SESSION_KEY] = learner
    session.permanent = True
    return learner
