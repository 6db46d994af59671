"""The permission catalogue, the data scopes, and what the three built-in roles hold.

A role is a set of permissions (what its accounts may do) and a scope (over which of the
merchant's conversations, tickets, agents and reports). Every route names the permission
it needs (``auth.deps.require``); ``access.py`` modules apply the scope.
"""

from __future__ import annotations

import enum

from huiliu.accounts.models import Role


class Permission(enum.StrEnum):
    # Others' conversations in scope: the live monitor, reading, assigning, transferring.
    monitor = "conversations.monitor"
    reports = "reports.view"  # reports, drill-downs, exports, satisfaction results
    quality = "quality.review"  # checklists, samples, reviews, disputes
    kb = "kb.edit"  # knowledge base, the bot's menus, flows and bands, unanswered questions
    replies = "replies.manage"  # the team's quick replies
    tickets = "tickets.manage"  # every ticket in scope, not only one's own and group's
    agents = "agents.manage"  # accounts, their roles, centres and capacities
    routing = "routing.manage"  # groups and who is in them, routing rules, working hours
    channels = "channels.manage"  # channel accounts and the web widget
    settings = "settings.manage"  # tenant settings, API keys, webhooks, surveys, SLA, …
    marketing = "marketing.manage"  # tag rules, segments, campaigns
    org = "org.manage"  # roles and service centres


class Scope(enum.StrEnum):
    """Over which groups a role's permissions reach."""

    tenant = "tenant"  # every group of the merchant
    centre = "centre"  # the groups of the account's service centre, and its own groups
    groups = "groups"  # the groups the account is a member of


ALL = frozenset(Permission)

# What a built-in role holds until the merchant changes it (the admin role never changes).
BUILTIN: dict[Role, tuple[frozenset[Permission], Scope]] = {
    Role.agent: (frozenset(), Scope.groups),
    Role.supervisor: (
        frozenset(
            {
                Permission.monitor,
                Permission.reports,
                Permission.quality,
                Permission.kb,
                Permission.replies,
                Permission.tickets,
            }
        ),
        Scope.tenant,
    ),
    Role.admin: (ALL, Scope.tenant),
}

BUILTIN_NAMES = {Role.agent: "客服", Role.supervisor: "主管", Role.admin: "管理员"}


def parse(values: list[str]) -> frozenset[Permission]:
    """Stored permissions, skipping any a later version no longer knows."""
    known = {p.value for p in Permission}
    return frozenset(Permission(v) for v in values if v in known)
