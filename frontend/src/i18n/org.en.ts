// Organisation: the permission catalogue, the roles and service centres pages (merged into
// admin.*); the keys are org.zh-CN.ts's.
import type { orgMessages as zh } from "./org.zh-CN";

export const orgMessages: typeof zh = {
  // Nested as the permission names read ("kb.edit" → kb.edit.label).
  permissions: {
    conversations: {
      monitor: { label: "Monitor conversations", hint: "The live monitor; see, assign, transfer and join others' conversations in scope" },
    },
    tickets: {
      manage: { label: "Manage tickets", hint: "Every ticket in scope, not only one's own and one's groups'" },
    },
    replies: {
      manage: { label: "Team quick replies", hint: "Create, edit and delete the quick replies the whole team shares" },
    },
    reports: {
      view: { label: "View reports", hint: "Reports, drill-downs, exports and satisfaction survey results" },
    },
    quality: {
      review: { label: "Quality review", hint: "Checklists, samples, reviews and disputes" },
    },
    kb: {
      edit: { label: "Knowledge base and bot", hint: "The knowledge base, the bot's settings, menus and flows, unanswered questions" },
    },
    agents: {
      manage: { label: "Manage accounts", hint: "Invite, edit and deactivate accounts; set how many conversations each serves" },
    },
    routing: {
      manage: { label: "Groups and routing", hint: "Skill groups and their members, routing rules, working hours" },
    },
    org: {
      manage: { label: "Roles and centres", hint: "Define roles and their rights; manage service centres" },
    },
    marketing: {
      manage: { label: "Marketing", hint: "Tag rules, segments, campaigns and their templates, the frequency cap" },
    },
    channels: {
      manage: { label: "Channels", hint: "Channel accounts and the web widget" },
    },
    settings: {
      manage: { label: "Settings", hint: "API keys, webhooks, satisfaction / ticket / report / quality settings, the merchant API secret" },
    },
  },

  permissionGroups: {
    service: "Service",
    insight: "Insight and quality",
    content: "Content",
    marketing: "Marketing",
    team: "Team and organisation",
    setup: "Setup",
  },
  scopes: {
    tenant: { label: "Whole merchant", hint: "Every skill group of the merchant (conversations and tickets without a group too)" },
    centre: { label: "Own centre", hint: "The groups of the holder's service centre, and the groups the holder is in" },
    groups: { label: "Own groups", hint: "Only the skill groups the holder is a member of" },
  },
  bases: { agent: "Agent seat", supervisor: "Supervisor seat", admin: "Admin" },
  access: {
    title: "Roles",
    subtitle: "A role is a set of permissions and a scope: what its holders may do, and over which skill groups. Everyone serves the conversations assigned to them.",
    create: "New role",
    none: "No roles yet",
    name: "Name",
    kind: "Seat",
    scope: "Scope",
    permissions: "Permissions",
    holders: "Holders",
    holdersN: "{n}",
    builtin: "Built-in",
    noPermissions: "No extra rights",
    allPermissions: "Every permission",
    createTitle: "New role",
    editTitle: "Edit the role “{name}”",
    nameRequired: "Give the role a name",
    nameFixed: "A built-in role keeps its name",
    baseHint: "Whether its holders count as agents or supervisors (agent seats are listed in the agents report); fixed once the role exists.",
    scopeHint: "Over which skill groups' conversations, tickets, accounts and reports the permissions reach.",
    adminReadonly: "The admin role holds every right over the whole merchant; it cannot change.",
    cannotGrant: "Your own role does not hold this right, so you cannot grant it",
    cannotGrantScope: "Your scope is not the whole merchant: you can grant only “Own groups”",
    deleteConfirm: "Delete the role “{name}”?",
    deleteBuiltin: "A built-in role cannot be deleted",
    inUse: "{n} account(s) still hold the role “{name}”: give them another role on the accounts page first, then delete it.",
    nameTaken: "A role named “{name}” exists",
    nothingChanged: "Nothing changed",
  },
  centres: {
    title: "Service centres",
    subtitle: "Put skill groups and people into service centres (a city, a branch); a role scoped to its own centre manages only that centre.",
    create: "New centre",
    none: "No service centres yet",
    name: "Name",
    groups: "Skill groups",
    people: "People",
    count: "{n}",
    peopleCount: "{n}",
    rename: "Rename",
    createTitle: "New service centre",
    renameTitle: "Rename “{name}”",
    nameRequired: "Give the centre a name",
    nameTaken: "A centre named “{name}” exists",
    deleteConfirm: "Delete the service centre “{name}”?",
    notEmpty: "The centre “{name}” still holds {groups} skill group(s) and {people} person(s): move them out on the groups and accounts pages first, then delete it.",
    assignHint: "Skill groups and people join a centre on the groups and accounts pages.",
  },
};
