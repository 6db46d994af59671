from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from huiliu.accounts.models import AgentStatus, Role
from huiliu.roles.permissions import Permission, Scope


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    account: AccountOut


class AccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    tenant_id: int
    email: str
    name: str
    role: Role
    role_id: int | None = Field(
        default=None, description="the merchant's role it holds; null: the built-in one of role"
    )
    centre_id: int | None = None
    status: AgentStatus
    active: bool
    capacity: int | None = None
    created_at: datetime


class AccountView(AccountOut):
    """An account with what colleagues and the admin console need: how busy it is, how much
    it may take, and its skill groups."""

    load: int = Field(description="open conversations assigned to it now")
    effective_capacity: int = Field(description="its capacity, or the tenant's default")
    group_ids: list[int]


class MeView(AccountView):
    """The caller's own account with what its role lets it do, so the workbench shows only
    what it may use."""

    permissions: list[Permission]
    scope: Scope
    scope_group_ids: list[int] | None = Field(
        description="the groups its permissions reach; null: every group"
    )


class AccountPatch(BaseModel):
    """Fields left out (or null) stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    role: Role | None = Field(default=None, description="a built-in role")
    role_id: int | None = Field(default=None, ge=1, description="or one of the merchant's roles")
    centre_id: int | None = Field(default=None, ge=1, description="explicit null: no centre")
    active: StrictBool | None = Field(
        default=None, description="false: cannot log in; its open conversations are requeued"
    )
    password: str | None = Field(default=None, min_length=8, max_length=200)


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    name: str = Field(min_length=1, max_length=100)
    role: Role = Role.agent
    role_id: int | None = Field(default=None, ge=1, description="one of the merchant's roles")
    centre_id: int | None = Field(default=None, ge=1)
    password: str = Field(min_length=8, max_length=200)


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: AgentStatus
