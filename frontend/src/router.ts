import { createRouter, createWebHistory, type RouteLocationNormalized, type RouteRecordRaw } from "vue-router";

import { ADMIN_SECTIONS, mayOpen, type AdminSection, type Need } from "./lib/access";
import { useSession } from "./stores/session";

declare module "vue-router" {
  interface RouteMeta {
    /** The permission the page's routes need ("account": any signed-in account); none:
     * anyone (the login page). A child's overrides its parent's. */
    need?: Need;
    title?: string;
  }
}

const ADMIN_VIEWS: Record<AdminSection, () => Promise<unknown>> = {
  agents: () => import("./views/admin/AgentsView.vue"),
  groups: () => import("./views/admin/GroupsView.vue"),
  routing: () => import("./views/admin/RoutingView.vue"),
  centres: () => import("./views/admin/CentresView.vue"),
  roles: () => import("./views/admin/RolesView.vue"),
  bot: () => import("./views/admin/BotView.vue"),
  kb: () => import("./views/admin/KnowledgeView.vue"),
  unanswered: () => import("./views/admin/UnansweredView.vue"),
  "quick-replies": () => import("./views/admin/QuickRepliesView.vue"),
  channels: () => import("./views/admin/ChannelsView.vue"),
  "api-keys": () => import("./views/admin/ApiKeysView.vue"),
  webhooks: () => import("./views/admin/WebhooksView.vue"),
  tickets: () => import("./views/admin/TicketSettingsView.vue"),
  reports: () => import("./views/admin/ReportSettingsView.vue"),
  satisfaction: () => import("./views/admin/SatisfactionSettingsView.vue"),
  profile: () => import("./views/admin/ProfileFieldsView.vue"),
  "tag-rules": () => import("./views/admin/TagRulesView.vue"),
  segments: () => import("./views/admin/SegmentsView.vue"),
  campaigns: () => import("./views/admin/CampaignsView.vue"),
};

const adminChildren: RouteRecordRaw[] = ADMIN_SECTIONS.map((s) => ({
  path: s.path,
  component: ADMIN_VIEWS[s.path],
  meta: { need: s.need },
}));

export const routes: RouteRecordRaw[] = [
  { path: "/", redirect: "/workbench" },
  { path: "/login", component: () => import("./views/LoginView.vue"), meta: { title: "nav.login" } },
  {
    path: "/workbench/tickets/:id?",
    name: "tickets",
    component: () => import("./views/TicketsView.vue"),
    meta: { need: "account", title: "tickets.nav" },
  },
  {
    path: "/workbench/quality",
    name: "quality",
    component: () => import("./views/QualityView.vue"),
    meta: { need: "account", title: "quality.nav" },
  },
  {
    path: "/workbench/customers",
    name: "customers",
    component: () => import("./views/CustomersView.vue"),
    meta: { need: "account", title: "customers.nav" },
  },
  {
    path: "/workbench/customers/:id",
    name: "customer",
    component: () => import("./views/CustomerView.vue"),
    meta: { need: "account", title: "customers.nav" },
  },
  {
    path: "/workbench/:id?",
    name: "workbench",
    component: () => import("./views/WorkbenchView.vue"),
    meta: { need: "account", title: "nav.workbench" },
  },
  {
    path: "/monitor",
    component: () => import("./views/MonitorView.vue"),
    meta: { need: "conversations.monitor", title: "nav.monitor" },
  },
  {
    path: "/reports",
    name: "reports",
    component: () => import("./views/ReportsView.vue"),
    meta: { need: "reports.view", title: "reports.nav" },
  },
  {
    path: "/admin",
    component: () => import("./views/admin/AdminLayout.vue"),
    meta: { need: "account", title: "nav.admin" },
    children: [
      // The first section the account may use: decided after the guard below has loaded
      // the account (a redirect would be resolved before it, on a reload with no account).
      { path: "", component: { render: () => null }, beforeEnter: () => useSession().adminHome ?? "/workbench" },
      ...adminChildren,
    ],
  },
  { path: "/:rest(.*)*", redirect: "/workbench" },
];

export const router = createRouter({ history: createWebHistory(), routes });

/** Where a navigation to `to` goes: on, to the login page, or back to the workbench when the
 * account's role may not open it. */
export async function guard(to: RouteLocationNormalized): Promise<true | string | { path: string; query: Record<string, string> }> {
  const session = useSession();
  if (!to.meta.need) return true;
  if (!session.token) return { path: "/login", query: { next: to.fullPath } };
  if (!session.account) {
    try {
      await session.refresh();
    } catch {
      return { path: "/login", query: { next: to.fullPath } };
    }
  }
  if (!mayOpen(to.meta.need, session.can)) return "/workbench";
  return true;
}

router.beforeEach(guard);
