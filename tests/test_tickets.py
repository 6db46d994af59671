"""Tickets through the API: made from a conversation (with its transcript), by hand and
from a left message; assigned, commented on (public comments reach the customer, internal
ones never), moved through open → pending → solved → closed with clear 409s, reopened; the
history of every change; access per role and tenant."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from tests.clients import Connect, Socket, bearer, open_conversation, widget_session
from tests.factories import World
from tests.receiver import Receiver
from tests.test_channels import api_account, signed_post, text


async def post(http: httpx.AsyncClient, token: str, url: str, body: Any) -> httpx.Response:
    return await http.post(url, json=body, headers=bearer(token))


async def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


async def ticket_of(http: httpx.AsyncClient, token: str, tid: int) -> dict[str, Any]:
    body: dict[str, Any] = await ok(await http.get(f"/api/v1/tickets/{tid}", headers=bearer(token)))
    return body


async def history(http: httpx.AsyncClient, token: str, tid: int) -> list[dict[str, Any]]:
    r = await http.get(f"/api/v1/tickets/{tid}/history", headers=bearer(token))
    body: list[dict[str, Any]] = await ok(r)
    return body


async def patch(http: httpx.AsyncClient, token: str, tid: int, body: Any) -> httpx.Response:
    return await http.patch(f"/api/v1/tickets/{tid}", json=body, headers=bearer(token))


async def by_hand(http: httpx.AsyncClient, world: World, **extra: Any) -> dict[str, Any]:
    body = {"subject": "退款未到账", "contact": {"name": "王芳", "phone": "13800000000"}, **extra}
    created: dict[str, Any] = await ok(
        await post(http, world.agent.token, "/api/v1/tickets", body), 201
    )
    return created


async def test_a_ticket_from_a_conversation_carries_its_customer_channel_and_transcript(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    visitor, _agent, cid = await open_conversation(http, connect, world)
    await visitor.send_text("订单 8812 少发了一件", "m-2")
    token = world.agent.token
    first = await ok(
        await post(http, token, f"/api/v1/conversations/{cid}/ticket", {"priority": "high"}), 201
    )
    conv = await ok(await http.get(f"/api/v1/conversations/{cid}", headers=bearer(token)))
    assert first["number"] >= 1
    assert first["display"] == f"#{first['number']}"
    assert first["subject"] == "你好，我想问一下发货时间"  # the customer's first words
    assert (first["contact_id"], first["conversation_id"]) == (conv["contact_id"], cid)
    assert (first["channel"], first["source"], first["status"]) == ("web", "conversation", "open")
    assert (first["priority"], first["created_by_id"]) == ("high", world.agent.id)
    transcript = await ok(
        await http.get(f"/api/v1/tickets/{first['id']}/transcript", headers=bearer(token))
    )
    texts = [m["content"].get("text") for m in transcript["messages"]]
    assert "你好，我想问一下发货时间" in texts
    assert "订单 8812 少发了一件" in texts
    # A message after the ticket was made is not in its snapshot.
    await visitor.send_text("还有一个问题", "m-3")
    again = await ok(
        await http.get(f"/api/v1/tickets/{first['id']}/transcript", headers=bearer(token))
    )
    assert again == transcript
    # The same through POST /tickets, numbered next.
    second = await ok(
        await post(http, token, "/api/v1/tickets", {"conversation_id": cid, "subject": "补发"}),
        201,
    )
    assert second["number"] == first["number"] + 1
    assert second["subject"] == "补发"
    listed = await ok(
        await http.get("/api/v1/tickets", params={"conversation_id": cid}, headers=bearer(token))
    )
    assert [t["id"] for t in listed["tickets"]] == [second["id"], first["id"]]
    mine = await ok(
        await http.get(f"/api/v1/contacts/{conv['contact_id']}/tickets", headers=bearer(token))
    )
    assert {t["id"] for t in mine} == {first["id"], second["id"]}
    # Another agent's conversation it cannot see: no ticket from it.
    r = await post(http, world.agents[1].token, f"/api/v1/conversations/{cid}/ticket", {})
    assert r.status_code == 404, r.text


async def test_the_lifecycle_with_assignment_comments_transitions_reopen_and_close(
    http: httpx.AsyncClient, world: World
) -> None:
    token = world.agent.token
    t = await by_hand(http, world, description="客户说退款三天未到", tags=["退款", "退款"])
    tid = t["id"]
    assert (t["source"], t["status"], t["tags"]) == ("manual", "open", ["退款"])
    assert t["contact_id"] is not None
    other = world.agents[1]
    t = await ok(await patch(http, token, tid, {"assignee_id": other.id, "priority": "urgent"}))
    assert (t["assignee_id"], t["priority"]) == (other.id, "urgent")
    internal = await ok(
        await post(
            http, token, f"/api/v1/tickets/{tid}/comments", {"text": "查财务", "public": False}
        ),
        201,
    )
    assert (internal["public"], internal["delivery"]) == (False, None)
    assert (await ticket_of(http, token, tid))["first_response_at"] is None
    # Illegal moves are 409s naming the allowed ones; nothing changes.
    r = await patch(http, token, tid, {"status": "closed"})
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "invalid_transition"
    assert "pending, solved" in r.json()["detail"]
    r = await patch(http, token, tid, {"status": "pending", "subject": "x", "assignee_id": 999999})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "assignee_id"
    assert (await ticket_of(http, token, tid))["status"] == "open"  # nothing half-stored
    t = await ok(await patch(http, token, tid, {"status": "pending"}))
    assert t["status"] == "pending"
    t = await ok(await patch(http, token, tid, {"status": "solved"}))
    assert t["status"] == "solved"
    assert t["solved_at"] is not None
    # A public comment on a solved ticket within the reopen window reopens it.
    public = await ok(
        await post(
            http,
            token,
            f"/api/v1/tickets/{tid}/comments",
            {"text": "退款已重新发起", "public": True},
        ),
        201,
    )
    assert public["public"] is True
    assert public["delivery"] == "stored"  # the customer has no conversation
    t = await ticket_of(http, token, tid)
    assert (t["status"], t["solved_at"]) == ("open", None)
    assert t["first_response_at"] is not None
    await ok(await patch(http, token, tid, {"status": "solved"}))
    t = await ok(await patch(http, token, tid, {"status": "closed"}))
    assert (t["status"], t["closed_at"] is not None) == ("closed", True)
    # Closed is final.
    for r in (
        await patch(http, token, tid, {"status": "open"}),
        await patch(http, token, tid, {"subject": "改"}),
        await post(
            http, token, f"/api/v1/tickets/{tid}/comments", {"text": "再说", "public": True}
        ),
    ):
        assert r.status_code == 409, r.text
        assert r.json()["code"] == "ticket_closed"
    comments = await ok(await http.get(f"/api/v1/tickets/{tid}/comments", headers=bearer(token)))
    assert [(c["text"], c["public"]) for c in comments] == [
        ("查财务", False),
        ("退款已重新发起", True),
    ]
    # Every change, with who and the old and new values, and every comment.
    lines = [(h["kind"], h["field"], h["old"], h["new"]) for h in await history(http, token, tid)]
    assert lines[0] == ("created", None, None, f"#{t['number']}")
    assert ("field", "assignee_id", None, other.id) in lines
    assert ("field", "priority", "normal", "urgent") in lines
    statuses = [(o, n) for k, f, o, n in lines if f == "status"]
    assert statuses == [
        ("open", "pending"),
        ("pending", "solved"),
        ("solved", "open"),
        ("open", "solved"),
        ("solved", "closed"),
    ]
    assert [f for k, f, _o, _n in lines if k == "comment"] == ["internal", "public"]
    assert all(
        h["actor_type"] == "agent" and h["actor_id"] == world.agent.id
        for h in await history(http, token, tid)
    )


async def test_a_public_comment_reaches_the_widget_customer_and_an_internal_one_never(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    visitor, _agent, cid = await open_conversation(http, connect, world)
    await visitor.send({"type": "resume", "cursors": {}})
    await visitor.silent(0.3)
    token = world.agents[1].token  # not the conversation's agent: the ticket's is enough
    t = await ok(
        await post(http, world.agent.token, f"/api/v1/conversations/{cid}/ticket", {}), 201
    )
    await ok(await patch(http, world.agent.token, t["id"], {"assignee_id": world.agents[1].id}))
    comments = f"/api/v1/tickets/{t['id']}/comments"
    await ok(await post(http, token, comments, {"text": "内部：仓库核实中", "public": False}), 201)
    assert [f for f in await visitor.silent(0.4) if f["type"] == "message.new"] == []
    upload = await http.post(
        "/api/v1/files",
        files={"file": ("补发单.pdf", b"%PDF-1.4 ...", "application/pdf")},
        headers=bearer(token),
    )
    assert upload.status_code == 201, upload.text
    url = upload.json()["url"]
    # Only this merchant's uploads.
    for bad in ("https://files.example.com/files/abc/x.pdf", url.replace("/files/", "/filez/")):
        body = {"text": "x", "public": True, "attachments": [{"url": bad}]}
        r = await post(http, token, f"/api/v1/tickets/{t['id']}/comments", body)
        assert (r.status_code, r.json()["field"]) == (422, "attachments.0.url"), r.text
    body = {"text": "您好，已为您补发", "public": True, "attachments": [{"url": url}]}
    comment = await ok(await post(http, token, comments, body), 201)
    assert (comment["delivery"], comment["conversation_id"]) == ("conversation", cid)
    got = await visitor.messages(2)
    assert got[0]["content"]["text"] == "您好，已为您补发"
    assert got[0]["content"]["subject"] == f"[#{t['number']}] {t['subject']}"
    assert got[0]["sender"] == {"type": "agent", "id": world.agents[1].id}
    assert got[0]["id"] == comment["message_id"]
    assert got[1]["content"] == {
        "type": "file",
        "url": url,
        "name": "补发单.pdf",
        "size": 12,
        "mime": "application/pdf",
    }
    assert comment["attachments"] == [
        {"url": url, "name": "补发单.pdf", "mime": "application/pdf", "size": 12}
    ]
    assert "仓库" not in str(got)
    after = await ticket_of(http, token, t["id"])
    assert after["first_response_at"] is not None


async def test_a_public_comment_reaches_an_api_channel_customer_after_the_chat_closed(
    http: httpx.AsyncClient, world: World, receiver: Receiver
) -> None:
    path = "tickets" + secrets.token_hex(3)
    account = await api_account(http, world, receiver, path)
    posted = await signed_post(
        http, account, {"id": "t1", "user": {"id": "u-9"}, "content": text("发票开错了")}
    )
    cid = posted.json()["conversation_id"]
    token = world.supervisor.token
    t = await ok(await post(http, token, f"/api/v1/conversations/{cid}/ticket", {}), 201)
    assert t["channel"] == "api"
    await ok(await post(http, token, f"/api/v1/conversations/{cid}/close", {}))
    comment = await ok(
        await post(
            http,
            token,
            f"/api/v1/tickets/{t['id']}/comments",
            {"text": "已重开发票", "public": True},
        ),
        201,
    )
    assert (comment["delivery"], comment["conversation_id"]) == ("conversation", cid)
    got = await receiver.wait(lambda g: any(x.answered == 200 for x in g), path)
    delivered = [x.body for x in got if x.answered == 200]
    assert delivered[0]["user"] == {"id": "u-9"}
    assert delivered[0]["message"]["content"]["text"] == "已重开发票"


async def test_a_left_message_becomes_a_ticket_when_the_tenant_wants_it(
    http: httpx.AsyncClient, connect: Connect, world: World
) -> None:
    settings = {"left_messages_become_tickets": True}
    await ok(
        await http.put("/api/v1/tenant/tickets", json=settings, headers=bearer(world.admin.token))
    )
    session = await widget_session(http, world.widget_key)
    vt = session["visitor_token"]
    visitor: Socket = await connect("visitor", vt)
    cid = (await visitor.send_text("有人吗", "lm-1"))["conversation_id"]
    r = await post(
        http,
        vt,
        f"/api/v1/conversations/{cid}/leave-message",
        {"text": "请回电 13900000000", "name": "李雷"},
    )
    assert r.status_code == 201, r.text
    listed = await ok(
        await http.get(
            "/api/v1/tickets",
            params={"conversation_id": cid},
            headers=bearer(world.supervisor.token),
        )
    )
    assert listed["total"] == 1
    t = listed["tickets"][0]
    assert (t["source"], t["description"], t["created_by_id"]) == (
        "left_message",
        "请回电 13900000000",
        None,
    )
    # A second message left goes onto the same ticket as the customer's comment, and the
    # customer's answer puts a pending ticket back to open.
    r = await patch(http, world.supervisor.token, t["id"], {"status": "pending"})
    assert r.status_code == 200, r.text
    r = await post(http, vt, f"/api/v1/conversations/{cid}/leave-message", {"text": "下午也行"})
    assert r.status_code == 201, r.text
    comments = await ok(
        await http.get(
            f"/api/v1/tickets/{t['id']}/comments", headers=bearer(world.supervisor.token)
        )
    )
    assert [(c["author_type"], c["text"]) for c in comments] == [("contact", "下午也行")]
    after = await ticket_of(http, world.supervisor.token, t["id"])
    assert after["status"] == "open"
    lines = await history(http, world.supervisor.token, t["id"])
    assert (lines[-2]["field"], lines[-2]["new"], lines[-2]["actor_type"]) == (
        "status",
        "open",
        "contact",
    )
    # Customers see nothing of tickets over this API.
    r = await http.get("/api/v1/tickets", headers=bearer(vt))
    assert r.status_code == 403, r.text


async def test_agents_see_their_groups_assigned_and_created_tickets_and_no_other_tenants(
    http: httpx.AsyncClient, connect: Connect, world: World, other_world: World
) -> None:
    a, b = world.agents
    group = await ok(
        await post(
            http,
            world.admin.token,
            "/api/v1/groups",
            {"name": "售后" + secrets.token_hex(2), "member_ids": [b.id]},
        ),
        201,
    )
    mine = await by_hand(http, world)  # made by a
    assigned = await ok(
        await post(
            http,
            world.supervisor.token,
            "/api/v1/tickets",
            {"subject": "给 a", "assignee_id": a.id},
        ),
        201,
    )
    b_socket = await connect("agent", b.token)
    stranger = await connect("agent", other_world.admin.token)
    grouped = await ok(
        await post(
            http,
            world.supervisor.token,
            "/api/v1/tickets",
            {"subject": "售后组", "group_id": group["id"]},
        ),
        201,
    )
    # The group's agent hears of the group's ticket; the other tenant's admin never does.
    frame = await b_socket.recv_type("ticket.updated")
    assert (frame["reason"], frame["ticket"]["id"]) == ("created", grouped["id"])
    hidden = await ok(
        await post(http, world.supervisor.token, "/api/v1/tickets", {"subject": "别人的"}), 201
    )

    async def seen(token: str) -> set[int]:
        body = await ok(
            await http.get("/api/v1/tickets", params={"per_page": 100}, headers=bearer(token))
        )
        return {t["id"] for t in body["tickets"]}

    assert [f for f in await b_socket.silent(0.3) if f["type"] == "ticket.updated"] == []
    assert [f for f in await stranger.silent(0.1) if f["type"] == "ticket.updated"] == []
    assert await seen(a.token) == {mine["id"], assigned["id"]}
    assert await seen(b.token) == {grouped["id"]}
    everything = {mine["id"], assigned["id"], grouped["id"], hidden["id"]}
    assert await seen(world.supervisor.token) == everything
    assert await seen(world.admin.token) == everything
    assert await seen(other_world.admin.token) == set()
    for token, tid in (
        (a.token, hidden["id"]),
        (b.token, mine["id"]),
        (other_world.admin.token, mine["id"]),
    ):
        for r in (
            await http.get(f"/api/v1/tickets/{tid}", headers=bearer(token)),
            await patch(http, token, tid, {"subject": "改"}),
            await post(
                http, token, f"/api/v1/tickets/{tid}/comments", {"text": "x", "public": False}
            ),
            await http.get(f"/api/v1/tickets/{tid}/history", headers=bearer(token)),
        ):
            assert r.status_code == 404, r.text
    # Another tenant's agent, group or contact cannot be put on a ticket.
    r = await patch(
        http, world.supervisor.token, hidden["id"], {"assignee_id": other_world.agent.id}
    )
    assert (r.status_code, r.json()["field"]) == (422, "assignee_id")
    r = await post(
        http,
        other_world.admin.token,
        "/api/v1/tickets",
        {"subject": "x", "contact_id": mine["contact_id"]},
    )
    assert (r.status_code, r.json()["field"]) == (422, "contact_id")
    # Filters.
    body = await ok(
        await http.get("/api/v1/tickets", params={"assignee": "me"}, headers=bearer(a.token))
    )
    assert [t["id"] for t in body["tickets"]] == [assigned["id"]]
    body = await ok(
        await http.get(
            "/api/v1/tickets",
            params={"q": f"#{hidden['number']}"},
            headers=bearer(world.supervisor.token),
        )
    )
    assert [t["id"] for t in body["tickets"]] == [hidden["id"]]
    r = await http.get("/api/v1/tickets", params={"sort": "colour"}, headers=bearer(a.token))
    assert (r.status_code, r.json()["field"]) == (422, "sort")
    r = await http.get("/api/v1/tickets", params={"assignee": "bob"}, headers=bearer(a.token))
    assert (r.status_code, r.json()["field"]) == (422, "assignee")
    r = await http.get("/api/v1/tickets", params={"status": "lost"}, headers=bearer(a.token))
    assert r.status_code == 422, r.text


async def test_custom_fields_and_categories_are_checked_against_the_tenants_settings(
    http: httpx.AsyncClient, world: World
) -> None:
    settings = {
        "categories": ["物流", "退款"],
        "custom_fields": [
            {"key": "order_no", "label": "订单号", "type": "text", "required": True},
            {"key": "amount", "label": "金额", "type": "number"},
            {"key": "level", "label": "级别", "type": "select", "options": ["普通", "VIP"]},
            {"key": "due", "label": "承诺日期", "type": "date"},
            {"key": "called", "label": "已回电", "type": "checkbox"},
        ],
    }
    r = await http.put(
        "/api/v1/tenant/tickets", json=settings, headers=bearer(world.supervisor.token)
    )
    assert r.status_code == 403, r.text
    await ok(
        await http.put("/api/v1/tenant/tickets", json=settings, headers=bearer(world.admin.token))
    )
    got = await ok(await http.get("/api/v1/tenant/tickets", headers=bearer(world.supervisor.token)))
    assert got["custom_fields"][0]["key"] == "order_no"
    bad_settings = {"custom_fields": [{"key": "x", "label": "X", "type": "select"}]}
    r = await http.put(
        "/api/v1/tenant/tickets", json=bad_settings, headers=bearer(world.admin.token)
    )
    assert r.status_code == 422
    assert "options" in r.json()["detail"]
    token = world.agent.token
    cases = [
        ({}, "custom_fields.order_no", "required"),
        ({"order_no": "A1", "amount": "多"}, "custom_fields.amount", "number"),
        ({"order_no": "A1", "level": "SVIP"}, "custom_fields.level", "普通, VIP"),
        ({"order_no": "A1", "due": "明天"}, "custom_fields.due", "YYYY-MM-DD"),
        ({"order_no": "A1", "called": "yes"}, "custom_fields.called", "true or false"),
        ({"order_no": "A1", "colour": "red"}, "custom_fields.colour", "no such field"),
    ]
    before = (await ok(await http.get("/api/v1/tickets", headers=bearer(world.supervisor.token))))[
        "total"
    ]
    for fields, field, words in cases:
        r = await post(http, token, "/api/v1/tickets", {"subject": "s", "custom_fields": fields})
        assert r.status_code == 422, (fields, r.text)
        assert r.json()["field"] == field
        assert words in r.json()["detail"]
    r = await post(
        http,
        token,
        "/api/v1/tickets",
        {"subject": "s", "category": "其他", "custom_fields": {"order_no": "A1"}},
    )
    assert (r.status_code, r.json()["field"]) == (422, "category")
    after = (await ok(await http.get("/api/v1/tickets", headers=bearer(world.supervisor.token))))[
        "total"
    ]
    assert after == before  # nothing stored by the refusals
    fields = {
        "order_no": "A1",
        "amount": 12.5,
        "level": "VIP",
        "due": "2026-12-24",
        "called": False,
    }
    t = await ok(
        await post(
            http,
            token,
            "/api/v1/tickets",
            {"subject": "s", "category": "退款", "custom_fields": fields},
        ),
        201,
    )
    assert t["custom_fields"] == fields
    r = await patch(http, token, t["id"], {"custom_fields": {"order_no": None}})
    assert (r.status_code, r.json()["field"]) == (422, "custom_fields.order_no")
    t = await ok(await patch(http, token, t["id"], {"custom_fields": {"level": None, "amount": 3}}))
    assert t["custom_fields"] == {
        "order_no": "A1",
        "amount": 3,
        "due": "2026-12-24",
        "called": False,
    }
    lines = await history(http, token, t["id"])
    assert lines[-1]["field"] == "custom_fields"
    assert lines[-1]["old"]["level"] == "VIP"
