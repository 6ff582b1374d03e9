"""The pages blueprint: the course page and the lesson pages."""

import hashlib
import re

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    render_template,
    request,
    send_from_directory,
    url_for,
)

from webapp.content import get_course
from webapp.http import compress, preferred_encoding

bp = Blueprint("pages", __name__)

# The opening of a lesson's quiz widget, as lessonengine.content writes it.
QUIZ_WIDGET = re.compile(r'<div class="widget widget-quiz" data-widget="quiz"[^>]*>\n')


@bp.app_context_processor
def inject_app_config():
    """Give every template the JSON config the browser modules read (URLs come from here)."""
    return {
        "app_config": {
            "api": url_for("api.index"),
            "playground": url_for("pages.playground"),
            "plotly": url_for("static", filename="vendor/plotly/plotly-basic.min.js"),
        }
    }


@bp.app_context_processor
def inject_course():
    """Give every template (error pages too) the course: its title and its lessons."""
    return {"course": get_course()}


def cached_page(key: str, template: str, **context):
    """Render a page once per process, compress it once per encoding, serve it with an ETag.

    Pages hold nothing per learner (progress comes from the API), so one rendering serves all.
    """
    pages = current_app.extensions.setdefault("rendered_pages", {})
    if key not in pages or current_app.debug:
        html = render_template(template, **context).encode()
        pages[key] = {"identity": html, "etag": hashlib.sha256(html).hexdigest()[:20]}
    page = pages[key]
    encoding = preferred_encoding() or "identity"
    if encoding not in page:
        page[encoding] = compress(page["identity"], encoding)
    response = make_response(page[encoding])
    response.mimetype = "text/html"
    if encoding != "identity":
        response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    response.set_etag(f"{page['etag']}-{encoding}")
    response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)


@bp.get("/")
def course():
    """The course page listing its lessons."""
    return cached_page("course", "pages/course.html")


@bp.get("/lessons/<lesson_id>")
def lesson(lesson_id: str):
    """One lesson, rendered at start-up; previous/next links where those lessons exist."""
    course = get_course()
    found = course.lesson(lesson_id)
    if found is None:
        abort(404, f"There is no lesson called \u201c{lesson_id[:80]}\u201d in this course.")
    previous, following = course.neighbours(lesson_id)
    return cached_page(
        f"lesson:{lesson_id}",
        "pages/lesson.html",
        lesson=found,
        previous=previous,
        next_lesson=following,
    )


@bp.app_template_global()
def with_quiz_preview(body: str, lesson_id: str) -> str:
    """The lesson's HTML with its quiz's count and first prompt in the quiz widget.

    The same for every learner (the page stays cacheable): before any script runs the quiz
    reads as it will when mounted, and the quiz's first screen takes this one's place.
    """
    quiz = current_app.extensions.get("quizzes", {}).get(lesson_id)
    if quiz is None or not quiz.questions:
        return body
    preview = render_template(
        "partials/quiz_preview.html", question=quiz.questions[0], total=len(quiz.questions)
    )
    return QUIZ_WIDGET.sub(lambda match: match.group(0) + preview, body, count=1)


@bp.get("/favicon.ico")
def favicon():
    """The site icon, for browsers that ask for /favicon.ico before reading the page."""
    return send_from_directory(
        current_app.static_folder, "favicon.svg", mimetype="image/svg+xml", max_age=86400
    )


@bp.get("/playground")
def playground():
    """The graph playground: type a program and explore its backward pass."""
    return cached_page("playground", "pages/playground.html")
