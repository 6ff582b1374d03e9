"""How responses leave the app: security headers, compression and cache headers."""

import gzip
import hashlib
import mimetypes
import os

import brotli
from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask_compress import Compress
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.security import safe_join

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
# On every response, including the errors the server itself answers (see gunicorn.conf.py).
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
ONE_YEAR = 365 * 24 * 3600


COMPRESSIBLE_STATIC = {"text/javascript", "text/css", "image/svg+xml", "application/json"}


def compress(data: bytes, encoding: str) -> bytes:
    """`data` compressed for Content-Encoding `encoding` ("br" or "gzip")."""
    # Brotli 9 costs ~0.25 s for plotly.js (once per process); 11 would cost 5 s for 8% less.
    return brotli.compress(data, quality=9) if encoding == "br" else gzip.compress(data, 9)


def preferred_encoding() -> str | None:
    """The best encoding the request accepts among those this app sends, or None."""
    encodings = request.accept_encodings
    return "br" if encodings["br"] else "gzip" if encodings["gzip"] else None


def _compressed_static(app: Flask, filename: str, encoding: str) -> bytes:
    """A static file's bytes compressed with `encoding`, computed once per file version."""
    path = safe_join(app.static_folder, filename)
    stamp = os.stat(path).st_mtime_ns
    cache = app.extensions.setdefault("compressed_static", {})
    key = (filename, encoding)
    cached = cache.get(key)
    if cached is None or cached[0] != stamp:
        with open(path, "rb") as handle:
            cached = cache[key] = (stamp, compress(handle.read(), encoding))
    return cached[1]


def _compress_static_response(app: Flask, response):
    """Serve a whole static file compressed; its validator becomes weak, so 304s still work."""
    if response.status_code != 200 or response.mimetype not in COMPRESSIBLE_STATIC:
        return response
    response.vary.add("Accept-Encoding")
    encoding = preferred_encoding()
    if encoding is None or "Content-Encoding" in response.headers:
        return response
    body = _compressed_static(app, request.view_args["filename"], encoding)
    etag, _weak = response.get_etag()
    response.direct_passthrough = False
    response.set_data(body)
    response.headers["Content-Encoding"] = encoding
    response.headers.pop("Accept-Ranges", None)
    if etag:
        response.set_etag(etag, weak=True)
    return response


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
    # Pages and JSON are compressed per response; static files (streamed by Flask) are left to
    # _compress_static_response, which compresses each file once per process.
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_STREAMS", False)
    Compress(app)
    app.session_interface = SessionInterface()
    # Behind N reverse proxies, trust the two X-Forwarded-* headers the README's proxy block sets:
    # the client address and the scheme. The proxy passes the Host header itself, so a client's
    # own X-Forwarded-Host (or -Port, -Prefix) is never believed.
    proxies = int(app.config.get("PROXY_COUNT") or os.environ.get("PROXY_COUNT", "0"))
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0)

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
        for name, value in SECURITY_HEADERS.items():
            headers.setdefault(name, value)
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        if request.endpoint == "static":
            # A hashed URL never changes; other static URLs (module imports) revalidate by ETag.
            if request.args.get("v"):
                headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
            else:
                headers["Cache-Control"] = "no-cache"
            response = _compress_static_response(app, response)
        return response
