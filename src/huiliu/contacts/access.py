"""Who may see and change which customer. One condition a line.

A customer's profile, tags, visited pages and orders are the merchant's, not one agent's:
every account of the merchant reads and edits them (an agent fills in a phone number while
serving, a colleague picks up the history tomorrow). Customers themselves never read their
profile through these routes; to them, like to other merchants, it does not exist.

Their conversations are another matter: ``conversations.access.can_see`` decides each one.
For an agent that is every conversation of a customer they serve right now (their history,
on every channel, whoever served it), and otherwise only their own and the unassigned ones;
supervisors and admins see all.
"""

from __future__ import annotations

from huiliu.auth.principal import Principal


def can_see(principal: Principal, *, tenant_id: int) -> bool:
    if principal.tenant_id != tenant_id:
        return False
    return principal.is_account


def can_edit(principal: Principal, *, tenant_id: int) -> bool:
    if principal.tenant_id != tenant_id:
        return False
    return principal.is_account
