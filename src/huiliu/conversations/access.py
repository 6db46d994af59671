"""Who may see and write which conversation. One condition a line."""

from __future__ import annotations

from huiliu.accounts.models import Role
from huiliu.auth.principal import Principal


def can_see(
    principal: Principal, *, tenant_id: int, contact_id: int, assignee_id: int | None
) -> bool:
    if principal.tenant_id != tenant_id:
        return False
    if principal.is_visitor:
        return principal.id == contact_id
    if principal.at_least(Role.supervisor):
        return True
    # An agent sees its own conversations and the unassigned ones it may claim.
    return assignee_id is None or assignee_id == principal.id


def can_write(
    principal: Principal, *, tenant_id: int, contact_id: int, assignee_id: int | None
) -> bool:
    if principal.tenant_id != tenant_id:
        return False
    if principal.is_visitor:
        return principal.id == contact_id
    if principal.at_least(Role.supervisor):
        return True
    return assignee_id == principal.id


def write_denied_reason(principal: Principal, *, assignee_id: int | None) -> str:
    if assignee_id is None:
        return "claim the conversation before replying"
    return "the conversation is assigned to another agent"
