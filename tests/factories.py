"""Test data, made through the service layer (one tenant per test keeps tests isolated)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from huiliu.accounts.models import Account, AgentStatus, Role
from huiliu.auth import tokens
from huiliu.auth.passwords import hash_password
from huiliu.auth.principal import Principal
from huiliu.db import Database
from huiliu.tenants import service as tenants_service

PASSWORD = "correct horse battery"
_PASSWORD_HASH = hash_password(PASSWORD)  # argon2 is slow on purpose; hash once per session


@dataclass
class Person:
    id: int
    email: str
    role: Role
    token: str


@dataclass
class World:
    """One tenant with its people."""

    tenant_id: int
    widget_key: str
    identity_secret: str
    admin: Person
    supervisor: Person
    agents: list[Person] = field(default_factory=list)

    @property
    def agent(self) -> Person:
        return self.agents[0]


async def make_world(db: Database, secret: str, *, agents: int = 2, online: bool = True) -> World:
    tag = secrets.token_hex(4)
    people: list[tuple[Account, Role]] = []
    async with db.write() as session:
        tenant = await tenants_service.create(session, name=f"Shop {tag}", slug=f"shop-{tag}")
        roles = [Role.admin, Role.supervisor, *[Role.agent] * agents]
        for n, role in enumerate(roles):
            account = Account(
                tenant_id=tenant.id,
                email=f"{role.value}{n}-{tag}@example.com",
                name=f"{role.value.title()} {n}",
                role=role,
                password_hash=_PASSWORD_HASH,
                status=AgentStatus.online if online else AgentStatus.offline,
            )
            session.add(account)
            people.append((account, role))
        await session.flush()
        tenant_id, widget_key, identity_secret = (
            tenant.id,
            tenant.widget_key,
            tenant.identity_secret,
        )

    def person(account: Account, role: Role) -> Person:
        principal = Principal(kind="account", tenant_id=tenant_id, id=account.id, role=role)
        token = tokens.issue(principal, secret=secret, ttl_s=3600)
        return Person(id=account.id, email=account.email, role=role, token=token)

    persons = [person(a, r) for a, r in people]
    return World(
        tenant_id=tenant_id,
        widget_key=widget_key,
        identity_secret=identity_secret,
        admin=persons[0],
        supervisor=persons[1],
        agents=persons[2:],
    )
