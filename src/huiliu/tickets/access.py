"""Who may see and change which ticket. One condition a line.

Agents see the tickets of their groups, the ones assigned to them and the ones they created;
a role with ``tickets.manage`` sees every ticket of the groups in its scope (the whole
tenant for a tenant-wide one, tickets without a group included); customers see none over
this API. Whoever sees a ticket may change and comment on it.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, false, or_, true

from huiliu.auth.principal import Principal
from huiliu.roles.permissions import Permission
from huiliu.tickets.models import Ticket


def can_see(
    principal: Principal,
    *,
    tenant_id: int,
    assignee_id: int | None,
    created_by_id: int | None,
    group_id: int | None,
    my_group_ids: Collection[int],
) -> bool:
    if principal.tenant_id != tenant_id:
        return False
    if not principal.is_account:
        return False
    if principal.may(Permission.tickets, group_id):
        return True
    if assignee_id == principal.id:
        return True
    if created_by_id == principal.id:
        return True
    return group_id is not None and group_id in my_group_ids


def visible_clause(principal: Principal, my_group_ids: Collection[int]) -> ColumnElement[bool]:
    """``can_see`` as a WHERE clause (the tenant is scoped separately)."""
    if not principal.is_account:
        return false()
    if principal.can(Permission.tickets) and principal.tenant_wide:
        return true()
    conditions: list[ColumnElement[bool]] = [
        Ticket.assignee_id == principal.id,
        Ticket.created_by_id == principal.id,
    ]
    groups = set(my_group_ids)
    if principal.can(Permission.tickets) and principal.group_ids:
        groups |= principal.group_ids
    if groups:
        conditions.append(Ticket.group_id.in_(sorted(groups)))
    return or_(*conditions)
