// Names for the server's payloads, all taken from the generated OpenAPI types
// (src/api/openapi.gen.ts, from docs/openapi.json) and the protocol types (the SDK's
// protocol.gen.ts, from docs/protocol.schema.json): a server change that breaks the front end
// fails vue-tsc.
import type { Content } from "./content";
import type { components } from "./openapi.gen";

export type { Content };

export type Schemas = components["schemas"];

export type Account = Schemas["AccountView"];
/** The signed-in account with what its role lets it do (GET /me). */
export type Me = Schemas["MeView"];
/** The kind of seat: agent, supervisor or admin (a role's `base`). */
export type Role = Schemas["Role"];
export type Permission = Schemas["Permission"];
export type Scope = Schemas["Scope"];
/** One of the merchant's roles (built-in or its own). */
export type MerchantRole = Schemas["RoleOut"];
export type MerchantRoleIn = Schemas["RoleIn"];
export type MerchantRolePatch = Schemas["RolePatch"];
export type Centre = Schemas["CentreOut"];
export type CentreIn = Schemas["CentreIn"];
export type AgentStatus = Schemas["AgentStatus"];
export type TokenOut = Schemas["TokenOut"];
export type Conversation = Schemas["ConversationOut"];
export type ConversationView = Schemas["ConversationView"];
/** A stored message, its content one of the protocol's content types. */
export type Message = Omit<Schemas["MessageOut"], "content"> & { content: Content };
export type MessagePage = Omit<Schemas["MessagePage"], "messages"> & { messages: Message[] };
export type Ack = Schemas["Ack"];
export type Group = Schemas["GroupOut"];
export type GroupIn = Schemas["GroupIn"];
export type GroupPatch = Schemas["GroupPatch"];
export type QueueOut = Schemas["QueueOut"];
export type Tenant = Schemas["TenantOut"];
export type ApiKey = Schemas["ApiKeyOut"];
export type ApiKeyCreated = Schemas["ApiKeyCreated"];
export type RoutingSettings = Schemas["RoutingSettings"];
export type WorkingHours = Schemas["WorkingHours"];
export type BotSettings = Schemas["BotSettings-Output"];
export type BotSettingsIn = Schemas["BotSettings-Input"];
export type MenuNode = Schemas["MenuNode-Output"];
export type Flow = Schemas["Flow"];
export type KbEntry = Schemas["EntryOut"];
export type KbEntryIn = Schemas["EntryIn"];
export type KbEntryPage = Schemas["EntryPage"];
export type KbCategory = Schemas["CategoryOut"];
export type ImportReport = Schemas["ImportReport"];
export type UnansweredGroup = Schemas["UnansweredGroup"];
export type MatchOut = Schemas["MatchOut"];
export type Vocabulary = Schemas["VocabularyOut"];
export type Contact = Schemas["ContactOut"];
export type ContactVisit = Schemas["VisitOut"];
export type OrdersOut = Schemas["OrdersOut"];
export type TagCount = Schemas["TagCount"];
export type QuickReply = Schemas["QuickReplyOut"];
export type QuickReplyIn = Schemas["QuickReplyIn"];
export type Note = Schemas["NoteOut"];
export type UploadOut = Schemas["FileOut"];

export type Webhook = Schemas["WebhookOut"];
export type WebhookCreated = Schemas["WebhookCreated"];
export type WebhookEvent = Webhook["events"][number];
// The name the server's OpenAPI gives it now that campaigns have a DeliveryOut too.
export type Delivery = Schemas["DeliveryOut"];

export type ChannelType = Schemas["ChannelTypeOut"];
export type ChannelAccount = Schemas["ChannelAccountOut"];
export type ChannelAccountCreated = Schemas["ChannelAccountCreated"];
export type ChannelAccountIn = Schemas["ChannelAccountIn"];
export type ChannelAccountPatch = Schemas["ChannelAccountPatch"];
/** One entry of an account's event log; `raw` is the push or the channel's answer as it
 * came (JSON, XML, an e-mail's source …), once the server includes it. */
export type ChannelEvent = Schemas["ChannelEventOut"] & { raw?: unknown };
export type DeliveryState = Schemas["DeliveryStateOut"];

export type Survey = Schemas["SurveyOut"];
export type SurveyRow = Schemas["SurveyRow"];
export type SurveyPage = Schemas["SurveyPage"];
export type SatisfactionSettings = Schemas["SatisfactionSettings"];

// Customers and service marketing (docs/profile.md, src/huiliu/campaigns/schemas.py).
export type ContactRow = Schemas["ContactRow"];
export type ContactPage = Schemas["ContactPage"];
export type ContactPatch = Schemas["ContactPatch"];
export type Purchase = Schemas["PurchaseOut"];
export type ProfileSettings = Schemas["ProfileSettings"];
export type ProfileField = Schemas["CustomFieldDef"];
/** One way to reach a customer first (GET /contacts/{id}/reach), best first. */
export type Reach = Schemas["Reach"];
export type ReachState = Reach["state"];
export type StartIn = Schemas["StartIn"];
export type Started = Schemas["Started"];
export type TagRule = Schemas["TagRuleOut"];
export type TagRuleIn = Schemas["RuleIn"];
export type TagRulePatch = Schemas["RulePatch"];
export type RuleBody = Schemas["RuleBody"];
export type RuleCondition = RuleBody["conditions"][number];
export type RulePreview = Schemas["RulePreview"];
export type Segment = Schemas["SegmentOut"];
export type SegmentIn = Schemas["SegmentIn"];
export type SegmentFilter = Schemas["SegmentFilter"];
export type AttributeFilter = Schemas["AttributeFilter"];
export type AttributeOp = AttributeFilter["op"];
export type SegmentPreview = Schemas["Preview"];
export type MarketingSettings = Schemas["MarketingSettings"];
export type CampaignTemplate = Schemas["TemplateOut"];
export type CampaignTemplateIn = Schemas["TemplateIn"];
export type Scenario = Schemas["Scenario"];
export type Campaign = Schemas["CampaignOut"];
export type CampaignIn = Schemas["CampaignIn"];
export type CampaignStatus = Schemas["CampaignStatus"];
export type CampaignCounts = Schemas["Counts"];
export type CampaignDelivery = Schemas["CampaignDeliveryOut"];
export type CampaignDeliveryPage = Schemas["CampaignDeliveryPage"];
export type CampaignDeliveryStatus = Schemas["DeliveryStatus"];

/** A product of the merchant's catalogue (GET /products). */
export type Product = Schemas["ProductOut"];
/** A product card for the customer of a conversation now, with why (GET
 * /conversations/{id}/recommendations). */
export type Recommendation = Schemas["Recommendation"];
export type RecommendationReason = Recommendation["reasons"][number];
