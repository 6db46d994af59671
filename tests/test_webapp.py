"""The built front end is served at / with its app routes; without a build every page says
how to make one."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from huiliu.app import create_app
from huiliu.config import Settings


def client_for(dist: Path) -> httpx.AsyncClient:
    app = create_app(Settings(secret_key="0" * 32, frontend_dir=dist))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><div id=app></div>")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    return tmp_path


@pytest.mark.parametrize(
    "path", ["/", "/login", "/workbench", "/workbench/42", "/admin/kb", "/monitor"]
)
async def test_app_routes_serve_the_page_uncached(dist: Path, path: str) -> None:
    async with client_for(dist) as client:
        response = await client.get(path)
    assert response.status_code == 200
    assert "<div id=app>" in response.text
    assert response.headers["cache-control"] == "no-cache"


async def test_hashed_assets_are_cached_for_a_year(dist: Path) -> None:
    async with client_for(dist) as client:
        response = await client.get("/assets/index-abc123.js")
        missing = await client.get("/assets/nope.js")
        icon = await client.get("/favicon.svg")
    assert response.status_code == 200
    assert "immutable" in response.headers["cache-control"]
    assert missing.status_code == 404
    assert icon.status_code == 200


async def test_unknown_paths_and_the_api_are_not_the_page(dist: Path) -> None:
    async with client_for(dist) as client:
        assert (await client.get("/nothing-here")).status_code == 404
        assert (await client.get("/api/v1/me")).json()["code"] == "missing_token"
        assert (await client.get("/openapi.json")).status_code == 200


async def test_without_a_build_the_page_says_how_to_build_it(tmp_path: Path) -> None:
    async with client_for(tmp_path / "no-dist") as client:
        response = await client.get("/workbench")
    assert response.status_code == 503
    assert "make frontend" in response.text
    assert "npm ci" in response.text


async def test_the_widget_is_served_as_javascript_revalidated_by_its_etag(dist: Path) -> None:
    script = "(function(){console.log('widget')})();\n" * 50
    (dist / "widget.js").write_text(script)
    async with client_for(dist) as client:
        plain = await client.get("/widget.js", headers={"Accept-Encoding": "identity"})
        gzipped = await client.get("/widget.js", headers={"Accept-Encoding": "gzip, br"})
        again = await client.get(
            "/widget.js",
            headers={"Accept-Encoding": "identity", "If-None-Match": plain.headers["etag"]},
        )
        (dist / "widget.js").write_text(script + "// a new build\n")
        rebuilt = await client.get(
            "/widget.js",
            headers={"Accept-Encoding": "identity", "If-None-Match": plain.headers["etag"]},
        )
    assert plain.status_code == 200
    assert plain.headers["content-type"] == "text/javascript; charset=utf-8"
    assert plain.text == script
    assert plain.headers["cache-control"] == "public, max-age=300"
    assert plain.headers["x-content-type-options"] == "nosniff"
    assert "content-encoding" not in plain.headers
    # httpx undoes the gzip; it was smaller on the wire.
    assert gzipped.headers["content-encoding"] == "gzip"
    assert gzipped.text == script
    assert int(gzipped.headers["content-length"]) < len(script) // 5
    assert gzipped.headers["etag"] != plain.headers["etag"]
    assert again.status_code == 304
    assert again.content == b""
    assert rebuilt.status_code == 200
    assert rebuilt.text.endswith("// a new build\n")


async def test_without_a_build_the_widget_warns_in_the_console(tmp_path: Path) -> None:
    async with client_for(tmp_path / "no-dist") as client:
        response = await client.get("/widget.js")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.text.startswith("console.warn(")
    assert "make frontend" in response.text


@pytest.mark.parametrize("freeze_heap", [True, False])
async def test_huiliu_serve_freezes_the_heap_it_started_with(
    settings: Settings, freeze_heap: bool
) -> None:
    """``huiliu serve`` (``freeze_heap``) hides the objects alive at start from the garbage
    collector, so full collections under load walk only what traffic allocates; an app
    made without it (tests start many) leaves the collector alone."""
    import gc

    from huiliu import cli

    assert "create_app(settings, freeze_heap=True)" in Path(cli.__file__).read_text()
    gc.unfreeze()
    app = create_app(settings, freeze_heap=freeze_heap)
    try:
        async with app.router.lifespan_context(app):
            assert (gc.get_freeze_count() > 0) is freeze_heap
    finally:
        gc.unfreeze()
