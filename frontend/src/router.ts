import { createRouter, createWebHistory, type RouteLocationNormalized } from "vue-router";

import { useSession } from "./stores/session";

type Need = "agent" | "supervisor" | "admin";

declare module "vue-router" {
  interface RouteMeta {
    /** The least role that may open the page; none: anyone (the login page). */
    need?: Need;
    title?: string;
  }
}

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: "/", redirect: "/workbench" },
    { path: "/login", component: () => import("./views/LoginView.vue"), meta: { title: "nav.login" } },
    {
      path: "/workbench/tickets/:id?",
      name: "tickets",
      component: () => import("./views/TicketsView.vue"),
      meta: { need: "agent", title: "tickets.nav" },
    },
    {
      path: "/workbench/quality",
      name: "quality",
      component: () => import("./views/QualityView.vue"),
      meta: { need: "agent", title: "quality.nav" },
    },
    {
      path: "/workbench/:id?",
      name: "workbench",
      component: () => import("./views/WorkbenchView.vue"),
      meta: { need: "agent", title: "nav.workbench" },
    },
    {
      path: "/monitor",
      component: () => import("./views/MonitorView.vue"),
      meta: { need: "supervisor", title: "nav.monitor" },
    },
    {
      path: "/reports",
      name: "reports",
      component: () => import("./views/ReportsView.vue"),
      meta: { need: "supervisor", title: "reports.nav" },
    },
    {
      path: "/admin",
      component: () => import("./views/admin/AdminLayout.vue"),
      meta: { need: "supervisor", title: "nav.admin" },
      redirect: "/admin/agents",
      children: [
        { path: "agents", component: () => import("./views/admin/AgentsView.vue") },
        { path: "groups", component: () => import("./views/admin/GroupsView.vue") },
        { path: "routing", component: () => import("./views/admin/RoutingView.vue") },
        { path: "bot", component: () => import("./views/admin/BotView.vue") },
        { path: "kb", component: () => import("./views/admin/KnowledgeView.vue") },
        { path: "unanswered", component: () => import("./views/admin/UnansweredView.vue") },
        { path: "quick-replies", component: () => import("./views/admin/QuickRepliesView.vue") },
        { path: "channels", component: () => import("./views/admin/ChannelsView.vue") },
        { path: "api-keys", component: () => import("./views/admin/ApiKeysView.vue") },
        { path: "webhooks", component: () => import("./views/admin/WebhooksView.vue") },
        { path: "tickets", component: () => import("./views/admin/TicketSettingsView.vue") },
        { path: "reports", component: () => import("./views/admin/ReportSettingsView.vue") },
        { path: "satisfaction", component: () => import("./views/admin/SatisfactionSettingsView.vue") },
      ],
    },
    { path: "/:rest(.*)*", redirect: "/workbench" },
  ],
});

const RANK: Record<string, number> = { agent: 1, supervisor: 2, admin: 3 };

export function allowed(role: string | undefined, need: Need | undefined): boolean {
  if (!need) return true;
  return (RANK[role ?? ""] ?? 0) >= (RANK[need] ?? 99);
}

router.beforeEach(async (to: RouteLocationNormalized) => {
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
  if (!allowed(session.account?.role, to.meta.need)) return "/workbench";
  return true;
});
