from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from huiliu.accounts.models import Role
from huiliu.roles.permissions import Permission, Scope


def _stripped(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


Name = Annotated[str, Field(min_length=1, max_length=60), AfterValidator(_stripped)]


class RoleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    base: Role = Field(
        default=Role.agent,
        description="agent or supervisor: the kind of seat; fixed once the role exists",
    )
    permissions: list[Permission] = Field(default_factory=list, max_length=len(Permission))
    scope: Scope = Scope.groups


class RolePatch(BaseModel):
    """Fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    permissions: list[Permission] | None = Field(default=None, max_length=len(Permission))
    scope: Scope | None = None


class RoleOut(BaseModel):
    id: int
    name: str
    base: Role
    builtin: bool
    permissions: list[Permission]
    scope: Scope
    accounts: int = Field(description="accounts holding it")
    created_at: datetime
