from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from huiliu.accounts.models import Role
from huiliu.roles.permissions import Permission


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: an account (agent, supervisor, admin), a visitor (a contact),
    or the merchant's own system with an API key (``integration``: the integration routes
    only; ``id`` is the key's).

    An account carries what its role lets it do (``permissions``) and over which groups
    (``group_ids``; None: every group of its tenant). ``role`` is the kind of seat."""

    kind: Literal["account", "visitor", "integration"]
    tenant_id: int
    id: int  # account id or contact id
    role: Role | None = None
    permissions: frozenset[Permission] = frozenset()
    group_ids: frozenset[int] | None = None

    @property
    def is_account(self) -> bool:
        return self.kind == "account"

    @property
    def is_visitor(self) -> bool:
        return self.kind == "visitor"

    @property
    def is_integration(self) -> bool:
        return self.kind == "integration"

    def at_least(self, role: Role) -> bool:
        return self.role is not None and self.role.rank >= role.rank

    def can(self, permission: Permission) -> bool:
        return self.is_account and permission in self.permissions

    @property
    def tenant_wide(self) -> bool:
        """Its permissions reach every group of the tenant."""
        return self.group_ids is None

    def sees_group(self, group_id: int | None) -> bool:
        """``group_id`` lies in the principal's scope (a conversation or ticket without a
        group lies only in a tenant-wide one)."""
        if self.group_ids is None:
            return True
        return group_id is not None and group_id in self.group_ids

    def covers(self, group_ids: Iterable[int]) -> bool:
        """Any of ``group_ids`` lies in the scope (an account in several groups)."""
        if self.group_ids is None:
            return True
        return not self.group_ids.isdisjoint(group_ids)

    def may(self, permission: Permission, group_id: int | None) -> bool:
        """``permission`` over a thing of ``group_id``."""
        return self.can(permission) and self.sees_group(group_id)
