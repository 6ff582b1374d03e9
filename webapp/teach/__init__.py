"""The teacher's view: accounts, login, classes, and students joining them.

Three blueprints, defined here so a module only has to register its views on them:
`bp` (pages under /teach), `api_bp` (JSON under /api/teach) and `join_bp` (a student's
/join pages and /api/classes). Each views module is imported in `init_app`; a new one (the
dashboard, its statistics) is one more name in `VIEW_MODULES`.
"""

import importlib

from flask import Blueprint, Flask

bp = Blueprint("teach", __name__, url_prefix="/teach")
api_bp = Blueprint("teach_api", __name__, url_prefix="/api/teach")
join_bp = Blueprint("join", __name__)


def _no_store(response):
    # Every answer here is one person's (a teacher's classes, a learner's memberships).
    response.headers.setdefault("Cache-Control", "no-store")
    return response


for _blueprint in (bp, api_bp, join_bp):
    _blueprint.after_request(_no_store)

# The modules whose views register on the blueprints above (the dashboard adds its own here).
VIEW_MODULES = ["auth", "classes", "join", "dashboard"]


def init_app(app: Flask) -> None:
    """Set up logins, CSRF and the command line, and register the three blueprints."""
    from webapp.teach import auth, cli

    for name in VIEW_MODULES:
        importlib.import_module(f"{__name__}.{name}")
    auth.init_app(app)
    cli.init_app(app)
    for blueprint in (bp, api_bp, join_bp):
        app.register_blueprint(blueprint)


def limit_logins(app: Flask) -> None:
    """Count logins per account and per address; call after webapp.limits.init_app."""
    from webapp.teach import auth

    auth.limit_logins(app)
