"""The lesson app: an application factory and the module-level `app` that gunicorn serves."""

import os

from flask import Flask


def create_app(test_config=None):
    """Create and configure an instance of the lesson app."""
    test_config = test_config or None
    # The instance folder holds the database and the secret key; INSTANCE_PATH moves it.
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("INSTANCE_PATH")
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    app.config.from_mapping(
        CONTENT_DIR=os.path.join(app.root_path, "content"),
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

    from webapp import init_app

    init_app(app)
    return app


app = create_app()
