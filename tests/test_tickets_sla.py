"""Ticket SLAs with a fake clock: due times in business hours and a time zone, pending
stopping the resolution clock, and breach warnings recorded and told once."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update

from huiliu.accounts.models import Role
from huiliu.auth.principal import Principal
from huiliu.db import Database
from huiliu.routing.hours import WorkingHours
from huiliu.tickets import actions
from huiliu.tickets.models import Ticket
from huiliu.tickets.schemas import TicketPatch
from huiliu.tickets.sla import Clock
from tests.clients import Connect, bearer
from tests.factories import World
from tests.server import ThreadServer

WEEKDAYS_9_TO_6 = {
    d: [{"start": "09:00", "end": "18:00"}] for d in ("mon", "tue", "wed", "thu", "fri")
}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def put_settings(http: httpx.AsyncClient, world: World, body: dict[str, Any]) -> None:
    r = await http.put("/api/v1/tenant/tickets", json=body, headers=bearer(world.admin.token))
    assert r.status_code == 200, r.text


async def new_ticket(http: httpx.AsyncClient, world: World, **extra: Any) -> dict[str, Any]:
    r = await http.post(
        "/api/v1/tickets", json={"subject": "SLA", **extra}, headers=bearer(world.agent.token)
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def backdate(db: Database, tid: int, created_at: datetime) -> None:
    async with db.write() as session:
        await session.execute(update(Ticket).where(Ticket.id == tid).values(created_at=created_at))


def test_business_time_skips_nights_weekends_holidays_and_follows_daylight_saving() -> None:
    hours = WorkingHours.model_validate(
        {"timezone": "Europe/Berlin", "weekly": WEEKDAYS_9_TO_6, "holidays": ["2026-03-30"]}
    )
    clock = Clock(hours)
    friday_5pm = utc(2026, 3, 27, 16)  # 17:00 CET; summer time starts on Sunday the 29th
    # One hour on Friday, Monday is a holiday, one more on Tuesday from 09:00 CEST (07:00 UTC).
    assert clock.add(friday_5pm, 2 * 3600) == utc(2026, 3, 31, 8)
    assert clock.between(friday_5pm, utc(2026, 3, 31, 8)) == 2 * 3600
    assert Clock(None).add(friday_5pm, 2 * 3600) == utc(2026, 3, 27, 18)


async def test_due_times_count_the_groups_business_hours_in_its_time_zone_and_pause_when_pending(
    http: httpx.AsyncClient, db: Database, server: ThreadServer, world: World
) -> None:
    group = await http.post(
        "/api/v1/groups",
        json={
            "name": "客服" + secrets.token_hex(2),
            "is_default": True,
            "working_hours": {"timezone": "Asia/Shanghai", "weekly": WEEKDAYS_9_TO_6},
        },
        headers=bearer(world.admin.token),
    )
    assert group.status_code == 201, group.text
    sla = {
        "business_hours": True,
        "warning_share": 0.5,
        "targets": {
            "normal": {"first_response_min": 240, "resolution_min": 1440},
            "high": {"first_response_min": 120, "resolution_min": 480},
        },
    }
    await put_settings(http, world, {"sla": sla})
    t = await new_ticket(http, world)
    assert t["sla"]["first_response"]["state"] == "running"
    # Made on Friday 4 December at 17:00 in Shanghai (09:00 UTC); high priority from then.
    await backdate(db, t["id"], utc(2026, 12, 4, 9))
    r = await http.patch(
        f"/api/v1/tickets/{t['id']}", json={"priority": "high"}, headers=bearer(world.agent.token)
    )
    assert r.status_code == 200, r.text
    due = r.json()["sla"]
    # 2 hours: 17:00–18:00 on Friday, 09:00–10:00 on Monday (02:00 UTC).
    assert due["first_response"]["due_at"] == "2026-12-07T02:00:00Z"
    # 8 hours: one on Friday, seven on Monday: 16:00 in Shanghai.
    assert due["resolution"]["due_at"] == "2026-12-07T08:00:00Z"
    # The server's actions take a fake clock for pending's pause:
    # pending from Monday 12:00 to 15:00 (three business hours) moves the due time by three.
    agent = Principal(kind="account", tenant_id=world.tenant_id, id=world.agent.id, role=Role.agent)
    rt = server.runtime
    for status, at in (("pending", utc(2026, 12, 7, 4)), ("open", utc(2026, 12, 7, 7))):
        out = await server.call(
            actions.update(
                rt.db,
                rt.bus,
                principal=agent,
                ticket_id=t["id"],
                patch=TicketPatch(status=status),  # type: ignore[arg-type]
                now=at,
            )
        )
        assert out.status == status
    # 16:00 + 3 h = Monday 18:00 + 1 h on Tuesday: 10:00 in Shanghai.
    assert out.sla.resolution.due_at == utc(2026, 12, 8, 2)
    assert out.sla.first_response.due_at == utc(2026, 12, 7, 2)  # not paused by pending
    # Calendar time when business hours are off.
    await put_settings(http, world, {"sla": {**sla, "business_hours": False}})
    r = await http.patch(
        f"/api/v1/tickets/{t['id']}", json={"priority": "normal"}, headers=bearer(world.agent.token)
    )
    assert r.json()["sla"]["first_response"]["due_at"] == "2026-12-04T13:00:00Z"
    # 24 h + the 3 h it was pending.
    assert r.json()["sla"]["resolution"]["due_at"] == "2026-12-05T12:00:00Z"


async def test_breach_warnings_are_recorded_and_told_once_to_who_sees_the_ticket(
    http: httpx.AsyncClient, connect: Connect, server: ThreadServer, world: World
) -> None:
    await put_settings(
        http,
        world,
        {"sla": {"business_hours": False, "targets": {"normal": {"first_response_min": 60}}}},
    )
    supervisor = await connect("agent", world.supervisor.token)
    creator = await connect("agent", world.agent.token)
    stranger = await connect("agent", world.agents[1].token)
    t = await new_ticket(http, world)
    for sock in (supervisor, creator):
        frame = await sock.recv_type("ticket.updated")
        assert (frame["reason"], frame["ticket"]["id"]) == ("created", t["id"])
    created = datetime.fromisoformat(t["created_at"])
    sweeper = server.runtime.sla_sweeper

    async def sweep(minutes: int) -> None:
        await server.call(sweeper.sweep_once(now=created + timedelta(minutes=minutes)))

    async def sla_lines() -> list[tuple[str, str]]:
        r = await http.get(f"/api/v1/tickets/{t['id']}/history", headers=bearer(world.agent.token))
        return [(h["field"], h["new"]) for h in r.json() if h["kind"] == "sla"]

    await sweep(47)
    assert await sla_lines() == []
    await sweep(49)  # 80 % of an hour has passed
    for sock in (supervisor, creator):
        frame = await sock.recv_type("ticket.updated")
        assert frame["reason"] == "sla"
        assert frame["ticket"]["sla"]["first_response"]["state"] == "warning"
    await sweep(55)
    assert await sla_lines() == [("first_response", "warning")]
    await sweep(61)
    await sweep(90)
    assert await sla_lines() == [("first_response", "warning"), ("first_response", "breached")]
    frame = await supervisor.recv_type("ticket.updated")
    assert frame["ticket"]["sla"]["first_response"]["state"] == "breached"
    assert frame["ticket"]["sla"]["breached"] is True
    assert [f for f in await supervisor.silent(0.3) if f["type"] == "ticket.updated"] == []
    assert [f for f in await stranger.silent(0.1) if f["type"] == "ticket.updated"] == []
    r = await http.get(
        "/api/v1/tickets", params={"breached": "true"}, headers=bearer(world.supervisor.token)
    )
    assert [x["id"] for x in r.json()["tickets"]] == [t["id"]]
    r = await http.get(
        "/api/v1/tickets", params={"breached": "false"}, headers=bearer(world.supervisor.token)
    )
    assert t["id"] not in [x["id"] for x in r.json()["tickets"]]


async def test_a_ticket_solved_before_the_reopen_window_stays_solved_and_the_sweep_closes_it(
    http: httpx.AsyncClient, db: Database, server: ThreadServer, world: World
) -> None:
    # The server's own sweep (every 30 s) would close the backdated ticket whenever its turn
    # fell between the backdating and the reopen attempts: this test sweeps when it says.
    sweeper = server.runtime.sla_sweeper
    await server.call(sweeper.stop())
    try:
        await _solved_past_the_window(http, db, server, world)
    finally:
        await server.call(sweeper.start())


async def _solved_past_the_window(
    http: httpx.AsyncClient, db: Database, server: ThreadServer, world: World
) -> None:
    await put_settings(http, world, {"reopen_window_days": 1})
    t = await new_ticket(http, world)
    token = world.agent.token
    r = await http.patch(
        f"/api/v1/tickets/{t['id']}", json={"status": "solved"}, headers=bearer(token)
    )
    assert r.status_code == 200, r.text
    solved_at = datetime.fromisoformat(r.json()["solved_at"])
    async with db.write() as session:
        await session.execute(
            update(Ticket)
            .where(Ticket.id == t["id"])
            .values(solved_at=solved_at - timedelta(days=2))
        )
    for r in (
        await http.post(
            f"/api/v1/tickets/{t['id']}/comments",
            json={"text": "还没好", "public": True},
            headers=bearer(token),
        ),
        await http.patch(
            f"/api/v1/tickets/{t['id']}", json={"status": "open"}, headers=bearer(token)
        ),
    ):
        assert r.status_code == 409, r.text
        assert r.json()["code"] == "reopen_window_passed"
    assert (await http.get(f"/api/v1/tickets/{t['id']}", headers=bearer(token))).json()[
        "status"
    ] == "solved"
    await server.call(server.runtime.sla_sweeper.sweep_once())
    r = await http.get(f"/api/v1/tickets/{t['id']}", headers=bearer(token))
    assert (r.json()["status"], r.json()["closed_at"] is not None) == ("closed", True)
    lines = (await http.get(f"/api/v1/tickets/{t['id']}/history", headers=bearer(token))).json()
    assert (lines[-1]["field"], lines[-1]["old"], lines[-1]["new"], lines[-1]["actor_type"]) == (
        "status",
        "solved",
        "closed",
        "system",
    )
