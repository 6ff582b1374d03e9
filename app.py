"""The entry point: gunicorn serves `app:create_app()` and `flask --app app` finds the factory.

Importing this module builds nothing; the factory lives in `webapp`.
"""

from webapp import create_app

__all__ = ["create_app"]
