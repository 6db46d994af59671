// Who is signed in: the token (kept in localStorage so a reload stays signed in), the
// account, and the agent's status and load.
import { defineStore } from "pinia";
import { computed, ref } from "vue";

import { api, configure } from "@/api/http";
import type { Account, AgentStatus, TokenOut } from "@/api/types";

const TOKEN_KEY = "huiliu.token";

export const useSession = defineStore("session", () => {
  const token = ref<string | null>(localStorage.getItem(TOKEN_KEY));
  const account = ref<Account | null>(null);

  const role = computed(() => account.value?.role);
  const isSupervisor = computed(() => role.value === "supervisor" || role.value === "admin");
  const isAdmin = computed(() => role.value === "admin");

  function setToken(value: string | null): void {
    token.value = value;
    if (value) localStorage.setItem(TOKEN_KEY, value);
    else localStorage.removeItem(TOKEN_KEY);
  }

  async function login(email: string, password: string): Promise<void> {
    const out = await api.post<TokenOut>("/auth/login", { email, password });
    setToken(out.access_token);
    account.value = await api.get<Account>("/me");
  }

  async function refresh(): Promise<void> {
    account.value = await api.get<Account>("/me");
  }

  async function setStatus(status: AgentStatus): Promise<void> {
    account.value = await api.put<Account>("/me/status", { status });
  }

  function logout(): void {
    setToken(null);
    account.value = null;
  }

  return { token, account, role, isSupervisor, isAdmin, login, refresh, setStatus, logout };
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
