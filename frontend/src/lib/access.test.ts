// What a role may open and what the role and account forms send: the console's menu and
// routes follow the permissions the server's routes need, and a form sends only what changed.
import { createPinia, setActivePinia } from "pinia";
import { beforeEach, describe, expect, it } from "vitest";
import { createMemoryHistory, createRouter } from "vue-router";

import type { MerchantRole, Permission } from "@/api/types";
import { guard, routes } from "@/router";
import { useSession } from "@/stores/session";
import { me } from "@/test/session";

import {
  ADMIN_SECTIONS,
  BUILTIN_PERMISSIONS,
  PERMISSIONS,
  accountRoleFields,
  adminSections,
  canGrant,
  firstAdminPath,
  mayOpen,
  roleChoice,
  roleCreateBody,
  roleDraft,
  roleOf,
  rolePatchBody,
} from "./access";

const NOW = "2026-12-01T10:00:00Z";
const holding = (...ps: Permission[]) => (p: Permission) => ps.includes(p);
const TEAM_LEAD: Permission[] = ["reports.view", "conversations.monitor"];

function role(over: Partial<MerchantRole> = {}): MerchantRole {
  return { id: 7, name: "组长", base: "agent", builtin: false, permissions: [...TEAM_LEAD], scope: "groups", accounts: 0, created_at: NOW, ...over };
}

describe("pages by permission", () => {
  it("every admin section names a permission of the catalogue", () => {
    for (const s of ADMIN_SECTIONS) expect(PERMISSIONS).toContain(s.need);
    expect(new Set(ADMIN_SECTIONS.map((s) => s.path)).size).toBe(ADMIN_SECTIONS.length);
  });

  it("any signed-in account opens an 'account' page; a permission page needs it", () => {
    expect(mayOpen(undefined, holding())).toBe(true);
    expect(mayOpen("account", holding())).toBe(true);
    expect(mayOpen("reports.view", holding())).toBe(false);
    expect(mayOpen("reports.view", holding("reports.view"))).toBe(true);
  });

  it("the admin menu lists only the sections the role may use, in order", () => {
    expect(adminSections(holding(...BUILTIN_PERMISSIONS.supervisor)).map((s) => s.path)).toEqual(["bot", "kb", "unanswered", "quick-replies"]);
    expect(adminSections(holding(...BUILTIN_PERMISSIONS.admin))).toHaveLength(ADMIN_SECTIONS.length);
    expect(adminSections(holding("org.manage")).map((s) => s.path)).toEqual(["centres", "roles"]);
    expect(adminSections(holding(...TEAM_LEAD))).toEqual([]);
  });

  it("/admin opens the first section the role may use, or none", () => {
    expect(firstAdminPath(holding(...BUILTIN_PERMISSIONS.admin))).toBe("/admin/agents");
    expect(firstAdminPath(holding(...BUILTIN_PERMISSIONS.supervisor))).toBe("/admin/bot");
    expect(firstAdminPath(holding("settings.manage"))).toBe("/admin/api-keys");
    expect(firstAdminPath(holding(...TEAM_LEAD))).toBeNull();
  });
});

describe("the router", () => {
  beforeEach(() => setActivePinia(createPinia()));

  async function visit(path: string, account = me("agent", { permissions: TEAM_LEAD })): Promise<string> {
    const session = useSession();
    session.token = "tok";
    session.account = account;
    const router = createRouter({ history: createMemoryHistory(), routes });
    router.beforeEach(guard);
    await router.push(path);
    return router.currentRoute.value.fullPath;
  }

  it("names the server's permission on each page", () => {
    const byPath = Object.fromEntries(routes.map((r) => [r.path, r.meta?.need]));
    expect(byPath["/monitor"]).toBe("conversations.monitor");
    expect(byPath["/reports"]).toBe("reports.view");
    expect(byPath["/workbench/:id?"]).toBe("account");
    const admin = routes.find((r) => r.path === "/admin")!;
    const children = Object.fromEntries((admin.children ?? []).filter((c) => c.path).map((c) => [c.path, c.meta?.need]));
    expect(children).toEqual(Object.fromEntries(ADMIN_SECTIONS.map((s) => [s.path, s.need])));
  });

  it("lets a team lead into reports and the monitor, not into the admin console", async () => {
    expect(await visit("/reports")).toBe("/reports");
    expect(await visit("/monitor")).toBe("/monitor");
    expect(await visit("/admin")).toBe("/workbench");
    expect(await visit("/admin/roles")).toBe("/workbench");
  });

  it("keeps an agent out of the monitor and reports", async () => {
    expect(await visit("/monitor", me("agent"))).toBe("/workbench");
    expect(await visit("/reports", me("agent"))).toBe("/workbench");
  });

  it("opens /admin at the first section the role may use", async () => {
    expect(await visit("/admin", me("admin"))).toBe("/admin/agents");
    expect(await visit("/admin", me("supervisor"))).toBe("/admin/bot");
    expect(await visit("/admin/agents", me("supervisor"))).toBe("/workbench");
    expect(await visit("/admin/roles", me("agent", { permissions: ["org.manage"] }))).toBe("/admin/roles");
  });

  it("sends a visitor without a token to sign in", async () => {
    const session = useSession();
    session.token = null;
    session.account = null;
    const router = createRouter({ history: createMemoryHistory(), routes });
    router.beforeEach(guard);
    await router.push("/reports");
    expect(router.currentRoute.value.path).toBe("/login");
    expect(router.currentRoute.value.query.next).toBe("/reports");
  });
});

describe("the session's rights", () => {
  beforeEach(() => setActivePinia(createPinia()));

  it("reach a group inside the scope only (none without a group unless merchant-wide)", () => {
    const session = useSession();
    session.account = me("agent", { permissions: TEAM_LEAD, group_ids: [2], scope_group_ids: [2, 3] });
    expect(session.can("reports.view")).toBe(true);
    expect(session.can("kb.edit")).toBe(false);
    expect(session.canIn("conversations.monitor", 3)).toBe(true);
    expect(session.canIn("conversations.monitor", 4)).toBe(false);
    expect(session.canIn("conversations.monitor", null)).toBe(false);
    expect(session.mayAdmin).toBe(false);
    session.account = me("supervisor");
    expect(session.canIn("conversations.monitor", null)).toBe(true);
    expect(session.adminHome).toBe("/admin/bot");
  });
});

describe("the role form", () => {
  it("creates with a trimmed name and the permissions in catalogue order", () => {
    const d = { ...roleDraft(), name: "  组长 ", permissions: ["reports.view", "conversations.monitor"] as Permission[] };
    expect(roleCreateBody(d)).toEqual({ name: "组长", base: "agent", permissions: ["conversations.monitor", "reports.view"], scope: "groups" });
  });

  it("patches only what changed", () => {
    const r = role();
    expect(rolePatchBody(roleDraft(r), r)).toEqual({});
    expect(rolePatchBody({ ...roleDraft(r), scope: "centre" }, r)).toEqual({ scope: "centre" });
    expect(rolePatchBody({ ...roleDraft(r), name: "班长", permissions: ["reports.view"] }, r)).toEqual({ name: "班长", permissions: ["reports.view"] });
  });

  it("never sends a built-in role's name", () => {
    const r = role({ id: 2, name: "主管", base: "supervisor", builtin: true, scope: "tenant" });
    expect(rolePatchBody({ ...roleDraft(r), name: "Boss", permissions: ["kb.edit"] }, r)).toEqual({ permissions: ["kb.edit"] });
  });

  it("grants only what the caller holds, a wider scope than own groups only from merchant-wide", () => {
    const lead = { role: "supervisor" as const, permissions: ["reports.view", "agents.manage"] as Permission[], scope_group_ids: [2] };
    expect(canGrant(lead, { base: "agent", permissions: ["reports.view"], scope: "groups" })).toBe(true);
    expect(canGrant(lead, { base: "agent", permissions: ["kb.edit"], scope: "groups" })).toBe(false);
    expect(canGrant(lead, { base: "agent", permissions: [], scope: "tenant" })).toBe(false);
    expect(canGrant(lead, { base: "agent", permissions: [], scope: "centre" })).toBe(false);
    expect(canGrant({ ...lead, scope_group_ids: null }, { base: "agent", permissions: [], scope: "tenant" })).toBe(true);
    expect(canGrant({ ...lead, scope_group_ids: null }, { base: "admin", permissions: [], scope: "tenant" })).toBe(false);
    expect(canGrant(me("admin"), { base: "admin", permissions: [...PERMISSIONS], scope: "tenant" })).toBe(true);
  });
});

describe("an account's role", () => {
  const roles = [
    role({ id: 1, name: "客服", builtin: true, permissions: [] }),
    role({ id: 3, name: "管理员", base: "admin", builtin: true }),
    role(),
  ];

  it("is its role_id, or the built-in role of its seat", () => {
    expect(roleOf({ role: "agent", role_id: 7 }, roles)?.name).toBe("组长");
    expect(roleOf({ role: "agent", role_id: null }, roles)?.name).toBe("客服");
    expect(roleOf({ role: "admin" }, roles)?.name).toBe("管理员");
  });

  it("goes out as role for a built-in one and role_id for the merchant's own, only when changed", () => {
    expect(roleChoice(roles[0]!)).toEqual({ role: "agent" });
    expect(roleChoice(roles[2]!)).toEqual({ role_id: 7 });
    expect(accountRoleFields(roles[2], roles[0])).toEqual({ role_id: 7 });
    expect(accountRoleFields(roles[2], roles[2])).toEqual({});
    expect(accountRoleFields(undefined, roles[0])).toEqual({});
    expect(accountRoleFields(roles[1], undefined)).toEqual({ role: "admin" });
  });
});
