"""Who may see and change which ticket. One condition a line.

Agents see the tickets of their groups, the ones assigned to them and the ones they created;
supervisors and admins see every ticket of their tenant; customers see none over this API
(a later part adds their own view). Whoever sees a ticket may change and comment on it.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, false, or_, true

from huiliu.accounts.models import Role
from huiliu.auth.principal import Principal
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
    if principal.at_least(Role.supervisor):
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
    if principal.at_least(Role.supervisor):
        return true()
    conditions: list[ColumnElement[bool]] = [
        Ticket.assignee_id == principal.id,
        Ticket.created_by_id == principal.id,
    ]
    if my_group_ids:
        conditions.append(Ticket.group_id.in_(list(my_group_ids)))
    return or_(*conditions)
