"""Teacher logins: argon2 password hashes, Flask-Login sessions, CSRF, and the login limits.

The teacher's session rides in the app's one signed session cookie (HttpOnly, SameSite=Lax,
Secure over HTTPS; see webapp.learner and webapp.http), beside the learner id; a student's
cookie simply has no teacher in it. CSRF is checked on the teach blueprints only: the student
JSON API authenticates by that SameSite=Lax cookie and takes only application/json bodies, which
a cross-site form cannot send, so a token there would protect nothing and break its clients.
"""

import functools
import hashlib
import threading
import time
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from webapp.errors import ApiError
from webapp.store import get_store
from webapp.teach import api_bp, bp
from webapp.teach.validate import InvalidText, normalise_email

# OWASP's argon2id choice (19 MiB, 2 passes, 1 lane): a worker stays far under its 100 MB budget
# while hashing, where argon2-cffi's default 64 MiB would not.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Each hash or check takes those 19 MiB for its duration, and a worker runs up to 16 threads: at
# most this many at once per process keeps a worker under its budget (the others wait their turn;
# the login limits bound that queue).
HASHING = threading.BoundedSemaphore(1)
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
WRONG_LOGIN = "That email and password do not match an account."
SESSION_STAMP = "teacher_login_at"  # when the teacher logged in, for the session's end
SESSION_VERSION = "teacher_session"  # the teacher's session_version at login; a logout raises it
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

login_manager = LoginManager()
csrf = CSRFProtect()


class Teacher:
    """A logged-in teacher, as Flask-Login needs one."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, row):
        self.id = row.id
        self.email = row.email
        self._stamp = _hash_stamp(row.password_hash)

    def get_id(self) -> str:
        # The id plus a stamp of the password hash: a deleted account whose id is reused, or a
        # changed password, leaves old sessions pointing at nothing.
        return f"{self.id}.{self._stamp}"


def _hash_stamp(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


@login_manager.user_loader
def load_teacher(user_id: str) -> Teacher | None:
    """The teacher of a session (None for an unknown, deleted, changed or expired one)."""
    number, _, stamp = str(user_id).partition(".")
    if not number.isdigit():
        return None
    logged_in_at = session.get(SESSION_STAMP)
    hours = current_app.config["TEACHER_SESSION_HOURS"]
    if not isinstance(logged_in_at, int) or time.time() - logged_in_at > hours * 3600:
        return None
    row = get_store().teacher_by_id(int(number))
    if row is None or _hash_stamp(row.password_hash) != stamp:
        return None
    if session.get(SESSION_VERSION) != row.session_version:  # logged out since (a copied cookie)
        return None
    return Teacher(row)


def hash_password(password: str) -> str:
    """The argon2id hash stored for `password` (the password itself is never stored)."""
    with HASHING:
        return HASHER.hash(password)


@functools.cache
def _dummy_hash() -> str:
    return hash_password("no account has this password")


def _verify(stored: str, password: str) -> bool:
    """Whether `password` matches the `stored` hash, one check at a time per process."""
    with HASHING:
        try:
            return HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False


def authenticate(email: str, password: str):
    """The teacher row when the email and password match, else None, in the same time."""
    # An unknown email still verifies the password against a dummy hash: no faster answer.
    store = get_store()
    try:
        row = store.teacher_by_email(normalise_email(email))
    except InvalidText:
        row = None
    if not _verify(row.password_hash if row else _dummy_hash(), password) or row is None:
        return None
    if HASHER.check_needs_rehash(row.password_hash):
        store.set_password_hash(row.id, hash_password(password))
        row = store.teacher_by_id(row.id)
    return row


def current_teacher_id() -> int | None:
    """The logged-in teacher's id, or None (a student, a stranger, an expired session)."""
    return current_user.id if current_user.is_authenticated else None


def owned_class(class_id: int) -> dict | None:
    """The current teacher's class {"id", "name", "code", "learners"}, or None (-> 404)."""
    # Another teacher's class is None too: a 404 like a class that does not exist, never a 403.
    teacher = current_teacher_id()
    if teacher is None:
        return None
    return get_store().teacher_class(teacher, class_id)


def _login_url() -> str:
    target = request.path + (f"?{request.query_string.decode()}" if request.query_string else "")
    return url_for("teach.login", next=target)


def _page_refusal():
    # Without a teacher's session: the way to the login, coming back here after it.
    if current_teacher_id() is None:
        return redirect(_login_url())
    return None


def _api_refusal():
    # Without a teacher's session: 401, before CSRF is looked at; then a write needs its token.
    if current_teacher_id() is None:
        raise ApiError(401, "Log in as a teacher first (at /teach/login).")
    if request.method not in SAFE_METHODS:
        csrf.protect()  # a CSRFError: 400 with Flask-WTF's sentence
    return None


def teacher_page(view):
    """A page for teachers: without a teacher's session, a redirect to the login."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        return _page_refusal() or view(*args, **kwargs)

    return guarded


def teacher_api(view):
    """JSON for teachers: 401 without a teacher's session; writes need the X-CSRFToken."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        return _api_refusal() or view(*args, **kwargs)

    return guarded


# Every view of the two teacher blueprints is guarded even if its decorator is forgotten.
OPEN_PAGES = {"teach.login", "teach.logout"}


@bp.before_request
def guard_pages():
    if request.endpoint not in OPEN_PAGES:
        return _page_refusal()
    return None


@api_bp.before_request
def guard_api():
    return _api_refusal()


def safe_next(target) -> str | None:
    """`target` if it is a path of the teacher's pages on this site, else None."""
    if not isinstance(target, str) or not target.startswith("/teach"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target


class LoginForm(FlaskForm):
    """The login form: email, password and the hidden csrf_token."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_PASSWORD)])


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; a right email and password go on to the classes (or a safe `next`)."""
    form = LoginForm()
    target = safe_next(request.args.get("next")) or url_for("teach.index")
    message = None
    if form.validate_on_submit():
        row = authenticate(form.email.data, form.password.data)
        if row is not None:
            login_user(Teacher(row))
            session[SESSION_STAMP] = int(time.time())
            session[SESSION_VERSION] = row.session_version
            current_app.logger.info("teacher %s logged in", row.id)
            return redirect(target)
        message = WRONG_LOGIN
    elif form.csrf_token.errors:
        message = "The form had expired. Please try again."
    elif request.method == "POST":
        message = "Enter your email and password."
    status = 200 if request.method == "GET" else 400
    return render_template("teach/login.html", form=form, message=message, next=target), status


@bp.post("/logout")
def logout():
    """Log the teacher out (a form with the CSRF token); the learner in the cookie stays."""
    csrf.protect()
    teacher = current_teacher_id()
    if teacher is not None:  # the cookie alone cannot be revoked: end the session on the server
        get_store().end_sessions(teacher)
    logout_user()
    session.pop(SESSION_STAMP, None)
    session.pop(SESSION_VERSION, None)
    return redirect(url_for("teach.login"))


@bp.errorhandler(429)
def too_many_logins(error):
    """Too many login attempts: the login page with the limit's sentence, status 429."""
    # For the administrator: a locked-out teacher (or an attack on an account) shows here.
    current_app.logger.warning(
        "teacher login refused by the limit: %s from %s", _login_account(), get_remote_address()
    )
    return render_template("teach/login.html", form=LoginForm(), message=error.description), 429


def init_app(app: Flask) -> None:
    """Give the app Flask-Login, CSRF for the teach blueprints, and the login settings."""
    config = app.config
    config.setdefault("TEACHER_SESSION_HOURS", 12)
    config.setdefault("LOGINS_PER_MINUTE_PER_ACCOUNT", 5)
    config.setdefault("LOGINS_PER_HOUR_PER_ACCOUNT", 20)
    config.setdefault("LOGINS_PER_MINUTE_PER_ADDRESS", 20)
    config.setdefault("LOGINS_PER_HOUR_PER_ADDRESS", 100)
    config.setdefault("CLASSES_PER_TEACHER", 200)
    config.setdefault("CLASSES_PER_LEARNER", 50)
    config.setdefault("CLASS_JOINS_PER_MINUTE", 10)  # per learner, each join or leave route
    # CSRF is checked where the teach views ask for it (forms, teacher_api), never app-wide:
    # see the module's docstring.
    config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    # Its own context processor loads the user for every template (the course page too), so
    # templates get the lazy proxy instead: only a page that shows the teacher reads the session.
    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(lambda: {"current_user": current_user})
    # Flask-Login's after-request hook reads the session on every response, which makes Flask
    # add "Vary: Cookie" to static files and the cached pages too: keep it to the teacher's
    # blueprints, where logins and logouts happen (no remember-me cookie is ever set anyway).
    app.after_request_funcs[None].remove(login_manager._update_remember_cookie)
    for blueprint in ("teach", "teach_api"):
        app.after_request_funcs.setdefault(blueprint, []).append(
            login_manager._update_remember_cookie
        )
    csrf.init_app(app)


def _login_account() -> str:
    try:
        return "login-account:" + normalise_email(request.form.get("email"))
    except InvalidText:
        return "login-account:?"


def limit_logins(app: Flask) -> None:
    """Count every login attempt per account and per address with the app's Limiter."""
    # Each attempt counts before its password is checked: counting only failures after the
    # response let parallel guesses through. A right login counting too is harmless at these
    # rates. Once either limit is reached, every login there (a right one too) is a 429 until
    # the window moves on: a guesser cannot test a password against it meanwhile.
    limiter = app.extensions["write_limiter"]
    config = app.config
    per_account = (
        f"{config['LOGINS_PER_MINUTE_PER_ACCOUNT']}/minute;"
        f"{config['LOGINS_PER_HOUR_PER_ACCOUNT']}/hour"
    )
    per_address = (
        f"{config['LOGINS_PER_MINUTE_PER_ADDRESS']}/minute;"
        f"{config['LOGINS_PER_HOUR_PER_ADDRESS']}/hour"
    )
    message = "Too many login attempts. Please wait a few minutes before trying again."
    view = app.view_functions["teach.login"]
    for key, limit in ((_login_account, per_account), (get_remote_address, per_address)):
        view = limiter.limit(
            limit,
            key_func=key,
            methods=["POST"],
            error_message=message,
        )(view)
    app.view_functions["teach.login"] = view
