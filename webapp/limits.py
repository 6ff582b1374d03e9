"""Rate limits on every request that writes to the database, per learner and per client address.

A view that writes is marked with `@write_limit(SETTING, "answers")`: its learner may send
`app.config[SETTING]` of them a minute, and every write from one client address (as the trusted
proxies report it, see PROXY_COUNT) counts against `WRITES_PER_MINUTE_PER_ADDRESS` and
`WRITES_PER_HOUR_PER_ADDRESS`, shared by all marked views. Flask-Limiter does the counting, in
the store that `RATELIMIT_STORAGE_URI` names: `memory://` (the default) counts per process, so
with N gunicorn workers a client may get up to N times a limit; `redis://host:6379` shares the
counts between every process and machine.
"""

import os
from collections.abc import Callable

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from webapp.learner import current_learner

# Enough for a class of 40 behind one school address answering and restarting at once, and for
# several classes in an hour; a script posting all day stops at the hourly limit.
DEFAULT_WRITES_PER_MINUTE_PER_ADDRESS = 600
DEFAULT_WRITES_PER_HOUR_PER_ADDRESS = 3000
_MARK = "_write_limit"


def write_limit(setting: str, noun: str) -> Callable:
    """Mark a view that writes: `app.config[setting]` a minute per learner, plus the address."""

    def mark(view: Callable) -> Callable:
        setattr(view, _MARK, (setting, noun))
        return view

    return mark


def learner_key() -> str:
    """The learner's id from the cookie (requests without one are exempt, see `no_learner`)."""
    return f"learner:{current_learner(create=False)}"


def no_learner() -> bool:
    """True for a request without a learner: a new one each time, limited by its address only."""
    return current_learner(create=False) is None


def init_app(app: Flask) -> Limiter:
    """Count the marked views of `app` with a Limiter of its own; call after every blueprint."""
    config = app.config
    config.setdefault(
        "RATELIMIT_STORAGE_URI", os.environ.get("RATELIMIT_STORAGE_URI") or "memory://"
    )
    # A moving window: no burst of twice the limit across a window's edge.
    config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # A shared store that cannot be reached: count per process meanwhile rather than fail.
    config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    config.setdefault("RATELIMIT_KEY_PREFIX", "lessons")
    config.setdefault("WRITES_PER_MINUTE_PER_ADDRESS", DEFAULT_WRITES_PER_MINUTE_PER_ADDRESS)
    config.setdefault("WRITES_PER_HOUR_PER_ADDRESS", DEFAULT_WRITES_PER_HOUR_PER_ADDRESS)
    limiter = Limiter(get_remote_address, app=app)
    per_minute = config["WRITES_PER_MINUTE_PER_ADDRESS"]
    per_hour = config["WRITES_PER_HOUR_PER_ADDRESS"]
    address_message = (
        f"Too many answers and restarts came from your network (the limits are {per_minute} a "
        f"minute and {per_hour} an hour). Please wait a moment and try again."
    )
    by_address = limiter.shared_limit(
        f"{per_minute}/minute;{per_hour}/hour",
        scope="writes-per-address",
        error_message=address_message,
    )
    for endpoint, view in list(app.view_functions.items()):
        marked = getattr(view, _MARK, None)
        if marked is None:
            continue
        setting, noun = marked
        per_learner = config[setting]
        learner_message = (
            f"That is more than {per_learner} {noun} in a minute. "
            "Take a breath and try again shortly."
        )
        by_learner = limiter.limit(
            f"{per_learner}/minute",
            key_func=learner_key,
            exempt_when=no_learner,
            error_message=learner_message,
        )
        # Both are checked before the view runs; the first one breached answers 429.
        app.view_functions[endpoint] = by_address(by_learner(view))
    app.extensions["write_limiter"] = limiter
    return limiter
