"""Every table, imported in one place for Alembic and create_all."""

from huiliu.accounts.models import Account
from huiliu.contacts.models import Contact, ContactIdentity
from huiliu.conversations.models import Conversation, Message, ReadCursor
from huiliu.db.base import Base
from huiliu.routing.models import Group, GroupMember
from huiliu.tenants.models import ApiKey, Tenant

__all__ = [
    "Account",
    "ApiKey",
    "Base",
    "Contact",
    "ContactIdentity",
    "Conversation",
    "Group",
    "GroupMember",
    "Message",
    "ReadCursor",
    "Tenant",
]
