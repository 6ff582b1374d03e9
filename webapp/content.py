"""The course, loaded once at start-up: a malformed lesson stops the app with a ContentError."""

from flask import Flask, current_app

from lessonengine.content import Course, load_course


def init_app(app: Flask) -> None:
    """Load the course from CONTENT_DIR into app.extensions["course"] (every formula typeset)."""
    app.extensions["course"] = load_course(app.config["CONTENT_DIR"])


def get_course() -> Course:
    """The current app's course."""
    return current_app.extensions["course"]
