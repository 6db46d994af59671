// What a role may open, as the server decides it: each page names the permission its routes
// need (docs/roles.md), so the console shows a link only where the page would work, and the
// roles page groups the catalogue the way a merchant thinks about it.
import type { MerchantRole, MerchantRoleIn, MerchantRolePatch, Permission, Role, Scope } from "@/api/types";

/** What a page needs: a permission, or "account" for any signed-in account. */
export type Need = Permission | "account";

/** The catalogue in the order the console lists it, grouped by what the rights are about. */
export const PERMISSION_GROUPS: readonly { key: string; permissions: readonly Permission[] }[] = [
  { key: "service", permissions: ["conversations.monitor", "tickets.manage", "replies.manage"] },
  { key: "insight", permissions: ["reports.view", "quality.review"] },
  { key: "content", permissions: ["kb.edit"] },
  { key: "marketing", permissions: ["marketing.manage"] },
  { key: "team", permissions: ["agents.manage", "routing.manage", "org.manage"] },
  { key: "setup", permissions: ["channels.manage", "settings.manage"] },
];

export const PERMISSIONS: readonly Permission[] = PERMISSION_GROUPS.flatMap((g) => g.permissions);

export const SCOPES: readonly Scope[] = ["tenant", "centre", "groups"];

/** The kinds of seat a merchant's own role may have (there is one admin role, built in). */
export const ROLE_BASES: readonly Exclude<Role, "admin">[] = ["agent", "supervisor"];

/** What the built-in roles hold until the merchant changes them (roles/permissions.py); the
 * admin role holds everything, always. */
export const BUILTIN_PERMISSIONS: Record<Role, readonly Permission[]> = {
  agent: [],
  supervisor: ["conversations.monitor", "reports.view", "quality.review", "kb.edit", "replies.manage", "tickets.manage"],
  admin: PERMISSIONS,
};

/** The admin console's sections in menu order, each with the permission its page needs to
 * load and save (the page is not offered without it). */
export const ADMIN_SECTIONS = [
  { path: "agents", need: "agents.manage" },
  { path: "groups", need: "routing.manage" },
  { path: "routing", need: "routing.manage" },
  { path: "centres", need: "org.manage" },
  { path: "roles", need: "org.manage" },
  { path: "bot", need: "kb.edit" },
  { path: "kb", need: "kb.edit" },
  { path: "unanswered", need: "kb.edit" },
  { path: "quick-replies", need: "replies.manage" },
  { path: "channels", need: "channels.manage" },
  { path: "api-keys", need: "settings.manage" },
  { path: "webhooks", need: "settings.manage" },
  { path: "tickets", need: "settings.manage" },
  { path: "satisfaction", need: "settings.manage" },
  { path: "reports", need: "settings.manage" },
  { path: "profile", need: "settings.manage" },
  { path: "tag-rules", need: "marketing.manage" },
  { path: "segments", need: "marketing.manage" },
  { path: "campaigns", need: "marketing.manage" },
] as const satisfies readonly { path: string; need: Permission }[];

export type AdminSection = (typeof ADMIN_SECTIONS)[number]["path"];

type Can = (permission: Permission) => boolean;

/** Whether an account that holds what `can` says may open a page needing `need`. */
export function mayOpen(need: Need | undefined, can: Can): boolean {
  if (need === undefined || need === "account") return true;
  return can(need);
}

/** The admin sections the account may use, in menu order. */
export function adminSections(can: Can): (typeof ADMIN_SECTIONS)[number][] {
  return ADMIN_SECTIONS.filter((s) => can(s.need));
}

/** Where /admin takes the account: its first section, or null when it may use none. */
export function firstAdminPath(can: Can): string | null {
  const first = adminSections(can)[0];
  return first ? `/admin/${first.path}` : null;
}

/** A role as the dialog edits it. */
export interface RoleDraft {
  name: string;
  base: Exclude<Role, "admin">;
  permissions: Permission[];
  scope: Scope;
}

export function roleDraft(role?: MerchantRole): RoleDraft {
  if (!role) return { name: "", base: "agent", permissions: [], scope: "groups" };
  return {
    name: role.name,
    base: role.base === "admin" ? "supervisor" : role.base,
    permissions: PERMISSIONS.filter((p) => role.permissions.includes(p)),
    scope: role.scope,
  };
}

/** In catalogue order, once each, only known ones. */
function ordered(permissions: readonly Permission[]): Permission[] {
  return PERMISSIONS.filter((p) => permissions.includes(p));
}

export function roleCreateBody(d: RoleDraft): MerchantRoleIn {
  return { name: d.name.trim(), base: d.base, permissions: ordered(d.permissions), scope: d.scope };
}

/** Only what changed; a built-in role's name is never sent (the server keeps it). */
export function rolePatchBody(d: RoleDraft, role: MerchantRole): MerchantRolePatch {
  const body: MerchantRolePatch = {};
  const name = d.name.trim();
  if (!role.builtin && name !== role.name) body.name = name;
  const permissions = ordered(d.permissions);
  const before = ordered(role.permissions);
  if (permissions.join() !== before.join()) body.permissions = permissions;
  if (d.scope !== role.scope) body.scope = d.scope;
  return body;
}

/** The role an account holds: its `role_id`, or the built-in role of its `role`. */
export function roleOf<R extends Pick<MerchantRole, "id" | "base" | "builtin">>(
  account: { role: Role; role_id?: number | null },
  roles: readonly R[],
): R | undefined {
  if (account.role_id != null) {
    const own = roles.find((r) => r.id === account.role_id);
    if (own) return own;
  }
  return roles.find((r) => r.builtin && r.base === account.role);
}

/** What an account form sends for the chosen role: `role` for a built-in one, `role_id` for
 * one of the merchant's own. */
export function roleChoice(role: Pick<MerchantRole, "id" | "base" | "builtin">): { role: Role } | { role_id: number } {
  return role.builtin ? { role: role.base } : { role_id: role.id };
}

/** What the caller holds, for `canGrant`: its base, permissions and whether its scope is the
 * whole merchant (GET /me's `scope_group_ids` null). */
export interface Grantor {
  role: Role;
  permissions: readonly Permission[];
  scope_group_ids?: readonly number[] | null;
}

/** The server's rule (roles/access.py): nobody grants more than they hold, a manager of some
 * groups grants only the narrowest scope (its groups), and only an admin makes an admin. */
export function canGrant(me: Grantor, role: { base: Role; permissions: readonly Permission[]; scope: Scope }): boolean {
  if (role.base === "admin") return me.role === "admin";
  if (!role.permissions.every((p) => me.permissions.includes(p))) return false;
  return me.scope_group_ids == null || role.scope === "groups";
}

/** The role fields an account's create or patch body carries: none when the choice is the
 * role it holds (or nothing is chosen), else `roleChoice`. */
export function accountRoleFields(
  chosen: Pick<MerchantRole, "id" | "base" | "builtin"> | undefined,
  current: Pick<MerchantRole, "id"> | undefined,
): { role: Role } | { role_id: number } | Record<string, never> {
  if (!chosen || chosen.id === current?.id) return {};
  return roleChoice(chosen);
}
