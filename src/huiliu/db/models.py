"""Every table, imported in one place for Alembic and create_all."""

from huiliu.accounts.models import Account
from huiliu.bot.models import BotSession, BotVote
from huiliu.contacts.models import Contact, ContactIdentity
from huiliu.conversations.models import Conversation, Message, ReadCursor
from huiliu.db.base import Base
from huiliu.kb.models import KbCategory, KbEntry, KbRevision, KbUnanswered
from huiliu.routing.models import Group, GroupMember
from huiliu.tenants.models import ApiKey, Tenant

__all__ = [
    "Account",
    "ApiKey",
    "Base",
    "BotSession",
    "BotVote",
    "Contact",
    "ContactIdentity",
    "Conversation",
    "Group",
    "GroupMember",
    "KbCategory",
    "KbEntry",
    "KbRevision",
    "KbUnanswered",
    "Message",
    "ReadCursor",
    "Tenant",
]
