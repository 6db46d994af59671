// The signed-in account (GET /me) as the server sends it, for tests: a built-in role's
// permissions and scope unless the test says otherwise.
import type { Me, Role } from "@/api/types";
import { BUILTIN_PERMISSIONS } from "@/lib/access";

export function me(base: Role = "agent", over: Partial<Me> = {}): Me {
  const tenantWide = base !== "agent";
  const groupIds = over.group_ids ?? [];
  return {
    id: 1, tenant_id: 1, email: "me@x.test", name: "Me", role: base, role_id: null, centre_id: null,
    status: "online", active: true, capacity: null, created_at: "2026-12-01T10:00:00Z",
    load: 0, effective_capacity: 20, group_ids: groupIds,
    permissions: [...BUILTIN_PERMISSIONS[base]],
    scope: tenantWide ? "tenant" : "groups",
    scope_group_ids: tenantWide ? null : groupIds,
    ...over,
  };
}
