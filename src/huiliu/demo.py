"""``huiliu demo``: a demo merchant with an admin, a supervisor and three agents.

Idempotent: running it again finds what exists and prints the same credentials.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from huiliu.accounts import service as accounts_service
from huiliu.accounts.models import Role
from huiliu.db import Database
from huiliu.tenants import service as tenants_service

DEMO_SLUG = "demo"
DEMO_PEOPLE = [
    ("admin@demo.huiliu.local", "Demo Admin 管理员", Role.admin, "demo-admin-1"),
    ("supervisor@demo.huiliu.local", "Demo Supervisor 主管", Role.supervisor, "demo-super-1"),
    ("agent1@demo.huiliu.local", "小汇 Agent 1", Role.agent, "demo-agent-1"),
    ("agent2@demo.huiliu.local", "小流 Agent 2", Role.agent, "demo-agent-2"),
    ("agent3@demo.huiliu.local", "小慧 Agent 3", Role.agent, "demo-agent-3"),
]


@dataclass
class DemoTenant:
    tenant_id: int
    widget_key: str
    identity_secret: str
    people: list[tuple[str, str, Role, str]]

    def as_json(self) -> dict[str, Any]:
        def cred(email: str, password: str) -> dict[str, str]:
            return {"email": email, "password": password}

        by_role: dict[Role, list[dict[str, str]]] = {}
        for email, _name, role, password in self.people:
            by_role.setdefault(role, []).append(cred(email, password))
        return {
            "tenant_id": self.tenant_id,
            "widget_key": self.widget_key,
            "identity_secret": self.identity_secret,
            "admin": by_role[Role.admin][0],
            "supervisor": by_role[Role.supervisor][0],
            "agents": by_role[Role.agent],
        }


async def ensure_demo(db: Database) -> DemoTenant:
    async with db.write() as session:
        tenant = await tenants_service.get_by_slug(session, slug=DEMO_SLUG)
        if tenant is None:
            tenant = await tenants_service.create(
                session, name="汇流演示商城 Demo Shop", slug=DEMO_SLUG
            )
        for email, name, role, password in DEMO_PEOPLE:
            if await accounts_service.get_by_email(session, email=email) is None:
                await accounts_service.create(
                    session,
                    tenant_id=tenant.id,
                    email=email,
                    name=name,
                    role=role,
                    password=password,
                )
        return DemoTenant(
            tenant_id=tenant.id,
            widget_key=tenant.widget_key,
            identity_secret=tenant.identity_secret,
            people=DEMO_PEOPLE,
        )
