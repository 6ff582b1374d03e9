"""The web layer: the application factory, and the blueprints, handlers and storage it wires."""

import os

from flask import Flask

# The project's folder: templates/, static/, content/ and, by default, instance/ live there.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(test_config=None):
    """Create and configure an instance of the lesson app."""
    # The instance folder holds the database and the secret key; INSTANCE_PATH moves it.
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("INSTANCE_PATH")
    instance_path = os.path.abspath(instance_path or os.path.join(ROOT, "instance"))
    app = Flask("app", root_path=ROOT, instance_path=instance_path, instance_relative_config=True)
    app.config.from_mapping(
        CONTENT_DIR=os.path.join(ROOT, "content"),
        # Request bodies are small JSON documents; anything larger is refused with 413.
        MAX_CONTENT_LENGTH=64 * 1024,
        JSON_SORT_KEYS=False,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    # The instance folder holds the secret key and the database: the server's user only.
    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)
    init_app(app)
    return app


def init_app(app: Flask) -> None:
    """Register the blueprints and handlers on `app`."""
    from lessonengine.content import texmath
    from webapp import content, errors, health, http, learner, limits, pages, practice, store, teach
    from webapp.api import bp as api_bp
    from webapp.api import quiz

    content.init_app(app)  # first: a malformed lesson stops the app before anything else
    http.init_app(app)
    errors.init_app(app)
    learner.init_app(app)
    store.init_app(app)
    health.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api_bp)
    quiz.init_app(app)
    practice.init_app(app)  # the skills, checked against the lessons; before the limits
    teach.init_app(app)
    limits.init_app(app)  # after every route: it wraps the views marked with @write_limit
    teach.limit_logins(app)  # with the Limiter that limits.init_app made
    # Every formula is typeset by now: stop the KaTeX process, so no worker keeps V8 in memory.
    texmath.release()
