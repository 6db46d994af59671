"""Who may do what in quality review. One condition a line.

Supervisors and admins keep checklists, draw samples and review; agents never review.
A review is seen by supervisors and admins of its tenant, and by its agent once submitted
(never a draft, never another agent's). Only its reviewer edits or submits it; only its
agent disputes it; a supervisor or admin resolves the dispute.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, true

from huiliu.accounts.models import Role
from huiliu.auth.principal import Principal
from huiliu.quality.models import QualityReview, ReviewStatus


def can_manage(principal: Principal) -> bool:
    """Checklists, samples, batches, reviewing, resolving disputes."""
    if not principal.is_account:
        return False
    return principal.at_least(Role.supervisor)


def can_see_review(
    principal: Principal, *, tenant_id: int, agent_id: int, status: ReviewStatus
) -> bool:
    if principal.tenant_id != tenant_id:
        return False
    if not principal.is_account:
        return False
    if principal.at_least(Role.supervisor):
        return True
    if agent_id != principal.id:
        return False
    return status != ReviewStatus.draft


def visible_clause(principal: Principal) -> ColumnElement[bool]:
    """``can_see_review`` as a WHERE clause (the tenant is scoped separately)."""
    if not principal.is_account:
        return false()
    if principal.at_least(Role.supervisor):
        return true()
    return and_(
        QualityReview.agent_id == principal.id,
        QualityReview.status != ReviewStatus.draft.value,
    )


def is_reviewer(principal: Principal, *, reviewer_id: int) -> bool:
    return principal.is_account and principal.id == reviewer_id


def is_reviewed_agent(principal: Principal, *, agent_id: int) -> bool:
    return principal.is_account and principal.id == agent_id
