"""Every table, imported in one place for Alembic and create_all."""

from huiliu.accounts.models import Account
from huiliu.analytics.models import (
    AgentHour,
    AgentStatusSpan,
    ConversationFact,
    ConversationTerm,
    ReportBucket,
    ReportSettingsRow,
    TermDay,
)
from huiliu.bot.models import BotSession, BotVote
from huiliu.campaigns.models import (
    Campaign,
    CampaignDelivery,
    CampaignTemplate,
    MarketingSettingsRow,
)
from huiliu.catalogue.models import Product
from huiliu.channels.models import ChannelAccount, ChannelEvent
from huiliu.channels.phone.models import Call
from huiliu.channels.wechat.models import WechatAccessToken
from huiliu.contacts.models import (
    Contact,
    ContactIdentity,
    ContactOrder,
    ContactTag,
    ContactVisit,
    ProfileSettingsRow,
    Segment,
    TagRule,
)
from huiliu.conversations.models import Conversation, ConversationNote, Message, ReadCursor
from huiliu.db.base import Base
from huiliu.files.models import StoredFile
from huiliu.kb.models import KbCategory, KbEntry, KbRevision, KbUnanswered
from huiliu.outbox.models import OutboxJob
from huiliu.quality.models import (
    QualityBatch,
    QualityBatchItem,
    QualityChecklist,
    QualityReview,
    QualityReviewChange,
    QualitySettingsRow,
)
from huiliu.replies.models import QuickReply
from huiliu.roles.models import RoleDef
from huiliu.routing.models import Centre, Group, GroupMember
from huiliu.satisfaction.models import SatisfactionSettingsRow, Survey
from huiliu.tenants.models import ApiKey, Tenant
from huiliu.tickets.models import (
    Ticket,
    TicketChange,
    TicketComment,
    TicketSettingsRow,
    TicketTranscript,
)
from huiliu.webhooks.models import WebhookEndpoint

__all__ = [
    "Account",
    "AgentHour",
    "AgentStatusSpan",
    "ApiKey",
    "Base",
    "BotSession",
    "BotVote",
    "Call",
    "Campaign",
    "CampaignDelivery",
    "CampaignTemplate",
    "Centre",
    "ChannelAccount",
    "ChannelEvent",
    "Contact",
    "ContactIdentity",
    "ContactOrder",
    "ContactTag",
    "ContactVisit",
    "Conversation",
    "ConversationFact",
    "ConversationNote",
    "ConversationTerm",
    "Group",
    "GroupMember",
    "KbCategory",
    "KbEntry",
    "KbRevision",
    "KbUnanswered",
    "MarketingSettingsRow",
    "Message",
    "OutboxJob",
    "Product",
    "ProfileSettingsRow",
    "QualityBatch",
    "QualityBatchItem",
    "QualityChecklist",
    "QualityReview",
    "QualityReviewChange",
    "QualitySettingsRow",
    "QuickReply",
    "ReadCursor",
    "ReportBucket",
    "ReportSettingsRow",
    "RoleDef",
    "SatisfactionSettingsRow",
    "Segment",
    "StoredFile",
    "Survey",
    "TagRule",
    "Tenant",
    "TermDay",
    "Ticket",
    "TicketChange",
    "TicketComment",
    "TicketSettingsRow",
    "TicketTranscript",
    "WebhookEndpoint",
    "WechatAccessToken",
]
