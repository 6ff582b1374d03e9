"""The web layer: blueprints, error handling and storage wired into one Flask app."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprints and handlers on `app`."""
    from lessonengine.content import texmath
    from webapp import content, errors, health, http, learner, limits, pages, store
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
    limits.init_app(app)  # after every route: it wraps the views marked with @write_limit
    # Every formula is typeset by now: stop the KaTeX process, so no worker keeps V8 in memory.
    texmath.release()
