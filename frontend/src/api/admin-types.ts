// Names for the payloads the admin console sends and reads, taken from the generated OpenAPI
// types (src/api/openapi.gen.ts, from docs/openapi.json) like types.ts. A few routes and
// fields are being added to the server while this is written (PATCH /accounts/{id}, the
// accounts' load / effective_capacity / group_ids, /quick-replies): for those, `Generated`
// takes the generated type as soon as docs/openapi.json has it and a hand-written stand-in
// (the shape agreed with the server) until then, so nothing here needs editing when it lands.
import type { components } from "./openapi.gen";
import type { Account, Role } from "./types";

type Schemas = components["schemas"];

/** The generated schema `K` when docs/openapi.json has it, else `Fallback`. */
type Generated<K extends string, Fallback> = K extends keyof Schemas ? Schemas[K] : Fallback;

// Accounts ---------------------------------------------------------------------------------

/** An account as GET /accounts lists it, with its live load, the capacity in force and its
 * skill groups (AccountView). */
export type AdminAccount = Generated<
  "AccountView",
  Account & { load?: number; effective_capacity?: number; group_ids?: number[] }
>;
/** POST /accounts: `role` (a built-in role; the server's default is agent) or `role_id` (one
 * of the merchant's roles), not both. */
export type AccountIn = Omit<Schemas["AccountIn"], "role"> & { role?: Role };
export type AccountPatch = Generated<
  "AccountPatch",
  { name?: string | null; role?: Role | null; active?: boolean | null; password?: string | null }
>;
export type CapacityIn = Schemas["CapacityIn"];
export type DefaultCapacityIn = Schemas["DefaultCapacityIn"];

// Groups and routing -------------------------------------------------------------------------

export type Strategy = Schemas["Strategy"];
export type Span = Schemas["Span"];
export type WorkingHoursIn = Schemas["WorkingHours"];
/** The keys of WorkingHours.weekly (propertyNames in the schema, which the generator drops). */
export type Weekday = "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun";
export type PriorityRule = Schemas["PriorityRule"];
export type RoutingSettingsIn = Schemas["RoutingSettings"];

// Tenant ------------------------------------------------------------------------------------

export type ApiKeyIn = Schemas["ApiKeyIn"];

// Bot ---------------------------------------------------------------------------------------

export type MenuNodeIn = Schemas["MenuNode-Input"];
export type MenuAction = MenuNodeIn["action"];
export type MerchantApi = Schemas["MerchantApi"];
export type FlowIn = Schemas["Flow"];
export type Slot = Schemas["Slot"];
export type FlowResult = NonNullable<FlowIn["result"]>;
export type MatchIn = Schemas["MatchIn"];
export type MatchCandidate = Schemas["MatchCandidate"];

// Knowledge base ---------------------------------------------------------------------------

export type KbEntryPatch = Schemas["EntryPatch"];
/** One part of an entry's answer as the server takes it (text, rich, image, card, menu). */
export type AnswerPart = Schemas["EntryIn"]["answer"][number];
export type CategoryIn = Schemas["CategoryIn"];
export type VocabularyIn = Schemas["VocabularyIn"];
export type RowError = Schemas["RowError"];
export type UnansweredItem = Schemas["UnansweredOut"];
export type ResolveUnansweredIn = Schemas["ResolveUnansweredIn"];
export type ImportFormat = "csv" | "xlsx";

// Quick replies ----------------------------------------------------------------------------

export type AdminQuickReply = Generated<
  "QuickReplyOut",
  {
    id: number;
    shortcut: string;
    title: string;
    text: string;
    category: string | null;
    created_at: string;
    updated_at: string;
  }
>;
export type AdminQuickReplyIn = Generated<
  "QuickReplyIn",
  { shortcut: string; title: string; text: string; category?: string | null }
>;
export type AdminQuickReplyPatch = Generated<
  "QuickReplyPatch",
  { shortcut?: string | null; title?: string | null; text?: string | null; category?: string | null }
>;
