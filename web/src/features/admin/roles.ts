import type { Role } from "@/api/client";

/** The roles in plain words (each has what the ones before it have). */
export const ROLES: Record<Role, { label: string; can: string }> = {
  viewer: { label: "Viewer", can: "reads everything" },
  staff: { label: "Staff", can: "+ moves, counts and reserves stock" },
  manager: { label: "Manager", can: "+ products, prices, warehouses" },
  admin: { label: "Admin", can: "+ members, API keys, audit log" },
  owner: { label: "Owner", can: "+ the organisation itself" },
};

const ORDER: Role[] = ["viewer", "staff", "manager", "admin", "owner"];

/** Nobody grants a role above their own. */
export function rolesUpTo(role: Role): Role[] {
  return ORDER.slice(0, ORDER.indexOf(role) + 1);
}
