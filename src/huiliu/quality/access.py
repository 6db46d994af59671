"""Who may do what in quality review. One condition a line.

Roles holding ``quality.review`` keep checklists, draw samples and review; others never
review. A review is seen by reviewers whose scope holds one of its agent's groups (every
review for a tenant-wide scope), and by its agent once submitted (never a draft, never
another agent's). Only its reviewer edits or submits it; only its agent disputes it; a
reviewer resolves the dispute.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, and_, false, or_, select, true

from huiliu.auth.principal import Principal
from huiliu.quality.models import QualityReview, ReviewStatus
from huiliu.roles.permissions import Permission
from huiliu.routing.models import GroupMember


def can_manage(principal: Principal) -> bool:
    """Checklists, samples, batches, reviewing, resolving disputes."""
    return principal.can(Permission.quality)


def can_see_review(
    principal: Principal,
    *,
    tenant_id: int,
    agent_id: int,
    agent_group_ids: Collection[int],
    status: ReviewStatus,
) -> bool:
    if principal.tenant_id != tenant_id:
        return False
    if not principal.is_account:
        return False
    if principal.can(Permission.quality) and principal.covers(agent_group_ids):
        return True
    if agent_id != principal.id:
        return False
    return status != ReviewStatus.draft


def visible_clause(principal: Principal) -> ColumnElement[bool]:
    """``can_see_review`` as a WHERE clause (the tenant is scoped separately)."""
    if not principal.is_account:
        return false()
    if principal.can(Permission.quality) and principal.tenant_wide:
        return true()
    mine = and_(
        QualityReview.agent_id == principal.id,
        QualityReview.status != ReviewStatus.draft.value,
    )
    if principal.can(Permission.quality) and principal.group_ids:
        in_scope = select(GroupMember.account_id).where(
            GroupMember.group_id.in_(sorted(principal.group_ids))
        )
        return or_(mine, QualityReview.agent_id.in_(in_scope))
    return mine


def is_reviewer(principal: Principal, *, reviewer_id: int) -> bool:
    return principal.is_account and principal.id == reviewer_id


def is_reviewed_agent(principal: Principal, *, agent_id: int) -> bool:
    return principal.is_account and principal.id == agent_id
