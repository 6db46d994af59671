"""The demo shop's pages at /demo embed the widget with the demo merchant's key, and its
sign-in route signs a demo customer's identity with that merchant's secret only."""

from __future__ import annotations

import httpx

from huiliu.db import Database
from huiliu.demo import ensure_demo
from tests.clients import widget_session


async def test_pages_embed_the_widget_with_the_demo_key(
    http: httpx.AsyncClient, db: Database
) -> None:
    demo = await ensure_demo(db, people_only=True)
    for path in ["/demo", "/demo/products/earbuds", "/demo/account"]:
        r = await http.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith("text/html")
        assert f'<script src="/widget.js" data-key="{demo.widget_key}" async></script>' in r.text
        assert "Huiliu.q.push" in r.text  # the queueing stub comes first
    assert (await http.get("/demo/products/nothing")).status_code == 404


async def test_sign_in_returns_an_identity_the_widget_session_accepts(
    http: httpx.AsyncClient, db: Database
) -> None:
    demo = await ensure_demo(db, people_only=True)
    r = await http.post("/demo/api/sign-in", json={"user_id": "u1001"})
    assert r.status_code == 200, r.text
    identity = r.json()
    assert identity["userId"] == "u1001"
    assert identity["name"] == "王小明"
    assert demo.identity_secret not in r.text
    session = await widget_session(
        http,
        demo.widget_key,
        identity={
            "user_id": identity["userId"],
            "signature": identity["signature"],
            "name": identity["name"],
        },
    )
    assert session["verified"] is True
    r = await http.post("/demo/api/sign-in", json={"user_id": "root"})
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = await http.post("/demo/api/sign-in", json={"user_id": "u1001", "tenant": "other"})
    assert r.status_code == 422
