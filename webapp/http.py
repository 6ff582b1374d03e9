"""How responses leave the app: security headers, compression and cache headers."""

import hashlib
import mimetypes
import os

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask_compress import Compress
from werkzeug.middleware.proxy_fix import ProxyFix

# Scripts only from this app, never eval; inline style attributes stay allowed because KaTeX's
# server-rendered markup and plotly.js position elements with them.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
ONE_YEAR = 365 * 24 * 3600


class _MemoryCache:
    """A per-process cache of compressed static files, so each is compressed once."""

    def __init__(self):
        self._items = {}

    def get(self, key):
        return self._items.get(key)

    def set(self, key, value):
        self._items[key] = value


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the cookie marked Secure whenever served over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def _static_version(app: Flask, filename: str) -> str | None:
    """A short hash of a static file's bytes, cached per process (not under the reloader)."""
    versions = app.extensions.setdefault("static_versions", {})
    if filename not in versions or app.debug:
        path = os.path.join(app.static_folder, filename)
        try:
            with open(path, "rb") as handle:
                versions[filename] = hashlib.sha256(handle.read()).hexdigest()[:12]
        except OSError:
            versions[filename] = None
    return versions[filename]


def init_app(app: Flask) -> None:
    """Add headers, compression and content-hashed static URLs to `app`."""
    # Some systems map .js to text/plain, and browsers refuse such module scripts.
    mimetypes.add_type("text/javascript", ".js")
    if not app.debug:  # under `make dev` files change while the process lives
        app.config.setdefault("COMPRESS_CACHE_BACKEND", _MemoryCache)
    app.config.setdefault("COMPRESS_CACHE_KEY", lambda req: req.full_path)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "deflate"])
    Compress(app)
    app.session_interface = SessionInterface()
    # Behind N reverse proxies, trust their X-Forwarded-* headers (HTTPS, client address).
    proxies = int(app.config.get("PROXY_COUNT") or os.environ.get("PROXY_COUNT", "0"))
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    @app.url_defaults
    def hash_static_urls(endpoint, values):
        # url_for("static", ...) gets ?v=<content hash>, so such URLs can be cached for a year.
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = _static_version(app, values["filename"])
            if version:
                values["v"] = version

    @app.after_request
    def add_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        if request.endpoint == "static":
            # A hashed URL never changes; other static URLs (module imports) revalidate by ETag.
            if request.args.get("v"):
                headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
            else:
                headers["Cache-Control"] = "no-cache"
        return response
