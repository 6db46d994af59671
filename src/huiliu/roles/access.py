"""Who may hand out which rights. One condition a line.

Nobody grants more than they hold: a role (or an account's role) may carry only
permissions its grantor holds, and a supervisor of some groups grants only the narrowest
scope (its groups). Only an admin makes an admin. A manager of some groups manages the
accounts in those groups, never an admin's, and changes neither its own role nor anyone's
centre (either would move a scope).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from huiliu.accounts.models import Role
from huiliu.auth.principal import Principal
from huiliu.roles.permissions import Permission, Scope


def can_grant(
    principal: Principal, *, base: Role, permissions: Iterable[Permission], scope: Scope
) -> bool:
    if base is Role.admin:
        return principal.role is Role.admin
    if not set(permissions) <= principal.permissions:
        return False
    return principal.tenant_wide or scope is Scope.groups


def can_manage_account(
    principal: Principal, *, role: Role, group_ids: Collection[int], account_id: int
) -> bool:
    if not principal.can(Permission.agents):
        return False
    if principal.tenant_wide:
        return True
    if role is Role.admin:
        return False
    return account_id == principal.id or principal.covers(group_ids)


def can_move(principal: Principal) -> bool:
    """Put an account in a centre (or take it out): its scope may follow, so only a manager
    over the whole merchant does."""
    return principal.tenant_wide
