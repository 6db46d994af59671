"""The workbench and admin console: the built front end (``frontend/dist``), served as a
single-page app, and the embeddable web widget (``/widget.js``, built into the same
directory). Built assets are not in the repository; without them every page says how to
build them instead of failing obscurely."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

# The single-page app's own routes; everything else is the API, the sockets or a 404.
APP_PREFIXES = ("/login", "/workbench", "/admin", "/monitor", "/reports")

_NOT_BUILT = """<!doctype html><html lang="en"><meta charset="utf-8">
<title>Huiliu: front end not built</title>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto">
<h1>The workbench has not been built</h1>
<p>Huiliu serves the agent workbench and admin console from <code>{path}</code>, which does
not exist yet. Build it with</p>
<pre>make frontend      # or: cd frontend &amp;&amp; npm ci &amp;&amp; npm run build</pre>
<p>and reload this page. <code>make run</code> does this for you. The API is up meanwhile:
<a href="/docs">/docs</a>.</p>
</body></html>
"""


WIDGET = "widget.js"
# Served in place of a missing build: a page embedding the widget gets a warning, not an
# error in its console.
_WIDGET_NOT_BUILT = (
    'console.warn("Huiliu: the web widget has not been built on this server '
    '(run make frontend, or: cd frontend && npm ci && npm run build).");\n'
)


def mount(app: FastAPI, dist: Path) -> None:
    """Serve ``dist`` at ``/`` (index.html for the app's routes, hashed assets for a year)."""
    index = dist / "index.html"
    assets = dist / "assets"
    if assets.is_dir():
        app.mount("/assets", _ImmutableFiles(directory=assets), name="assets")

    async def page(_request: Request) -> Response:
        if not index.is_file():
            return HTMLResponse(_NOT_BUILT.format(path=dist), status_code=503)
        # index.html names the hashed bundles of this build: never cache it.
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    app.add_api_route("/", page, methods=["GET"], include_in_schema=False)
    for prefix in APP_PREFIXES:
        app.add_api_route(prefix, page, methods=["GET"], include_in_schema=False)
        app.add_api_route(prefix + "/{rest:path}", page, methods=["GET"], include_in_schema=False)
    app.add_api_route(
        "/widget.js", _widget(dist / WIDGET), methods=["GET"], include_in_schema=False
    )
    # Files Vite copies from public/ to the top of dist (the icon, the notification sound).
    for path in sorted(dist.glob("*")):
        if path.is_file() and path.name not in ("index.html", WIDGET):
            app.add_api_route(
                "/" + path.name, _file(path), methods=["GET"], include_in_schema=False
            )


def _widget(path: Path) -> Callable[[Request], Response]:
    """The embeddable widget: one URL on every merchant's page, so not hashed; cached for a
    few minutes and revalidated by its ETag, gzipped for browsers that take it. Read again
    when the build changes it (a plain function: FastAPI runs it on a thread, off the loop)."""
    built: dict[str, Any] = {}

    def serve(request: Request) -> Response:
        try:
            stat = path.stat()
        except FileNotFoundError:
            return Response(
                _WIDGET_NOT_BUILT,
                status_code=503,
                media_type="text/javascript",
                headers={"Cache-Control": "no-store"},
            )
        if built.get("stat") != (stat.st_mtime_ns, stat.st_size):
            body = path.read_bytes()
            built.update(
                stat=(stat.st_mtime_ns, stat.st_size),
                body=body,
                gzipped=gzip.compress(body, compresslevel=9, mtime=0),
                tag=hashlib.sha256(body).hexdigest()[:32],
            )
        gzipped = "gzip" in request.headers.get("accept-encoding", "").lower()
        etag = f'"{built["tag"]}{"-gz" if gzipped else ""}"'
        headers = {
            "ETag": etag,
            "Cache-Control": "public, max-age=300",
            "Vary": "Accept-Encoding",
            "X-Content-Type-Options": "nosniff",
        }
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        if gzipped:
            headers["Content-Encoding"] = "gzip"
        return Response(
            built["gzipped"] if gzipped else built["body"],
            media_type="text/javascript; charset=utf-8",
            headers=headers,
        )

    return serve


def _file(path: Path) -> Callable[[], Awaitable[Response]]:
    async def serve() -> Response:
        return FileResponse(path)

    return serve


class _ImmutableFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
