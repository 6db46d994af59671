// The merchant's roles and service centres, for naming an account's role (the account menu,
// the agents page) and for the pickers that hand them out. Every account may list both.
import { defineStore } from "pinia";
import { ref } from "vue";

import { api } from "@/api/http";
import type { Centre, MerchantRole, Permission, Role } from "@/api/types";
import { BUILTIN_PERMISSIONS, roleOf } from "@/lib/access";

export const useRoles = defineStore("roles", () => {
  const roles = ref<MerchantRole[]>([]);
  const centres = ref<Centre[]>([]);
  const loaded = ref(false);

  async function load(): Promise<void> {
    const [r, c] = await Promise.all([api.get<MerchantRole[]>("/roles"), api.get<Centre[]>("/centres")]);
    roles.value = r;
    centres.value = c;
    loaded.value = true;
  }

  /** The role an account holds (undefined until loaded). */
  function of(account: { role: Role; role_id?: number | null }): MerchantRole | undefined {
    return roleOf(account, roles.value);
  }

  /** Whether the account's role holds `permission` (the built-in defaults of its seat until
   * the roles are loaded). */
  function holds(account: { role: Role; role_id?: number | null }, permission: Permission): boolean {
    if (account.role === "admin") return true;
    const role = of(account);
    return (role ? role.permissions : BUILTIN_PERMISSIONS[account.role]).includes(permission);
  }

  function centreName(id: number | null | undefined): string {
    if (id === null || id === undefined) return "";
    return centres.value.find((c) => c.id === id)?.name ?? `#${id}`;
  }

  return { roles, centres, loaded, load, of, holds, centreName };
});
