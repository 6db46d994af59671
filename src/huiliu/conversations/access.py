"""Who may see and write which conversation. One condition a line.

Seeing is reading: the conversation, its messages (REST and resume), its internal notes.
Live frames follow the same rules except the history one (below), which needs the database;
the gateway decides per event without it, so a history reader reads over REST.
"""

from __future__ import annotations

from huiliu.auth.principal import Principal
from huiliu.conversations.schemas import MessageOut
from huiliu.roles.permissions import Permission


def can_see(
    principal: Principal,
    *,
    tenant_id: int,
    contact_id: int,
    assignee_id: int | None,
    group_id: int | None,
    serving_contact: bool = False,
) -> bool:
    """``serving_contact``: the principal (an agent) serves an open conversation of this
    customer right now (``service.serves_contact``)."""
    if principal.tenant_id != tenant_id:
        return False
    if principal.is_visitor:
        return principal.id == contact_id
    # A supervisor oversees every conversation of the groups in their role's scope …
    if principal.may(Permission.monitor, group_id):
        return True
    # An agent sees its own conversations and the unassigned ones it may claim …
    if assignee_id is None or assignee_id == principal.id:
        return True
    # … and reads every conversation of a customer it serves now: their history, on every
    # channel, whoever served it then (it still writes only where can_write says).
    return serving_contact


def can_write(
    principal: Principal,
    *,
    tenant_id: int,
    contact_id: int,
    assignee_id: int | None,
    group_id: int | None,
) -> bool:
    if principal.tenant_id != tenant_id:
        return False
    if principal.is_visitor:
        return principal.id == contact_id
    if principal.may(Permission.monitor, group_id):
        return True
    return assignee_id == principal.id


def write_denied_reason(principal: Principal, *, assignee_id: int | None) -> str:
    if assignee_id is None:
        return "claim the conversation before replying"
    return "the conversation is assigned to another agent"


# What agents write for each other inside system events: the transfer's note for the agent
# who takes over, the bot's handoff summary. Agents see them; customers never do.
INTERNAL_EVENT_FIELDS = ("note", "summary")


def customer_view(message: MessageOut) -> MessageOut:
    """The message as its customer may see it: the same object when nothing is internal."""
    content = message.content
    if content.get("type") != "event" or not any(k in content for k in INTERNAL_EVENT_FIELDS):
        return message
    visible = {k: v for k, v in content.items() if k not in INTERNAL_EVENT_FIELDS}
    return message.model_copy(update={"content": visible})
