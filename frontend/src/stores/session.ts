// Who is signed in: the token (kept in localStorage so a reload stays signed in), the
// account with what its role lets it do, and the agent's status and load.
import { defineStore } from "pinia";
import { computed, ref } from "vue";

import { api, configure } from "@/api/http";
import type { AgentStatus, Me, Permission, Schemas, TokenOut } from "@/api/types";
import { firstAdminPath } from "@/lib/access";

const TOKEN_KEY = "huiliu.token";

export const useSession = defineStore("session", () => {
  const token = ref<string | null>(localStorage.getItem(TOKEN_KEY));
  const account = ref<Me | null>(null);

  const role = computed(() => account.value?.role);
  const permissions = computed(() => new Set<Permission>(account.value?.permissions ?? []));

  /** The role holds `permission` (somewhere in its scope). */
  function can(permission: Permission): boolean {
    return permissions.value.has(permission);
  }

  /** The role holds `permission` over a thing of `groupId` (one without a group lies only in a
   * tenant-wide scope), as the server's access checks decide it. */
  function canIn(permission: Permission, groupId: number | null | undefined): boolean {
    if (!can(permission)) return false;
    const scope = account.value?.scope_group_ids;
    if (scope === null || scope === undefined) return true;
    return groupId !== null && groupId !== undefined && scope.includes(groupId);
  }

  /** Where /admin opens for this account; null: it may use no admin page. */
  const adminHome = computed(() => firstAdminPath(can));
  const mayAdmin = computed(() => adminHome.value !== null);

  function setToken(value: string | null): void {
    token.value = value;
    if (value) localStorage.setItem(TOKEN_KEY, value);
    else localStorage.removeItem(TOKEN_KEY);
  }

  async function login(email: string, password: string): Promise<void> {
    const out = await api.post<TokenOut>("/auth/login", { email, password });
    setToken(out.access_token);
    account.value = await api.get<Me>("/me");
  }

  async function refresh(): Promise<void> {
    account.value = await api.get<Me>("/me");
  }

  async function setStatus(status: AgentStatus): Promise<void> {
    // The answer is the bare account: keep the rights, load and groups /me gave.
    const out = await api.put<Schemas["AccountOut"]>("/me/status", { status });
    if (account.value) account.value = { ...account.value, ...out };
  }

  function logout(): void {
    setToken(null);
    account.value = null;
  }

  return { token, account, role, permissions, can, canIn, adminHome, mayAdmin, login, refresh, setStatus, logout };
});

/** Wire the REST client to the session: its token, and sign-out when the server refuses it. */
export function connectHttp(onSignedOut: () => void): void {
  const session = useSession();
  configure(
    () => session.token,
    () => {
      if (session.token) {
        session.logout();
        onSignedOut();
      }
    },
  );
}
