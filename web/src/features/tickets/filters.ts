import type { Schemas } from "@/api/client";

export type TicketStatus = Schemas["TicketStatus"];
export type Priority = Schemas["Priority"];
export type TicketSort = Schemas["TicketSort"];

export const STATUSES: TicketStatus[] = ["new", "open", "pending", "resolved", "closed"];
export const PRIORITIES: Priority[] = ["urgent", "high", "normal", "low"];
const SORTS: TicketSort[] = ["created_at", "updated_at", "number", "priority", "resolution_due_at"];

/** "active": what still needs work (new, open, pending); "all": every status. */
export type StatusFilter = TicketStatus | "active" | "all";

export interface TicketFilters {
  q: string;
  status: StatusFilter;
  priority: Priority | null;
  teamId: string | null;
  assignee: "me" | "none" | null;
  tag: string | null;
  sla: "breached" | "due_soon" | null;
  sort: TicketSort;
  order: "asc" | "desc";
}

export const DEFAULT_FILTERS: TicketFilters = {
  q: "",
  status: "active",
  priority: null,
  teamId: null,
  assignee: null,
  tag: null,
  sla: null,
  sort: "created_at",
  order: "desc",
};

function oneOf<T extends string>(value: string | null, allowed: readonly T[]): T | null {
  return value !== null && (allowed as readonly string[]).includes(value) ? (value as T) : null;
}

/** The filters a URL names; anything unknown (an old link, a typo) falls back to the default. */
export function filtersFrom(params: URLSearchParams): TicketFilters {
  const status = params.get("status");
  return {
    q: params.get("q") ?? "",
    status: oneOf(status, [...STATUSES, "all"] as const) ?? "active",
    priority: oneOf(params.get("priority"), PRIORITIES),
    teamId: params.get("team") || null,
    assignee: oneOf(params.get("assignee"), ["me", "none"] as const),
    tag: params.get("tag")?.trim().toLowerCase() || null,
    sla: oneOf(params.get("sla"), ["breached", "due_soon"] as const),
    sort: oneOf(params.get("sort"), SORTS) ?? "created_at",
    order: params.get("order") === "asc" ? "asc" : "desc",
  };
}

/** The URL of the filters: only what differs from the default, so links stay short. */
export function paramsFrom(filters: TicketFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.q.trim()) params.set("q", filters.q.trim());
  if (filters.status !== "active") params.set("status", filters.status);
  if (filters.priority) params.set("priority", filters.priority);
  if (filters.teamId) params.set("team", filters.teamId);
  if (filters.assignee) params.set("assignee", filters.assignee);
  if (filters.tag) params.set("tag", filters.tag);
  if (filters.sla) params.set("sla", filters.sla);
  if (filters.sort !== "created_at") params.set("sort", filters.sort);
  if (filters.order !== "desc") params.set("order", filters.order);
  return params;
}

/** The list API's query for the filters. */
export function queryOf(filters: TicketFilters) {
  const statuses: TicketStatus[] | undefined =
    filters.status === "all" ? undefined : filters.status === "active" ? ["new", "open", "pending"] : [filters.status];
  return {
    q: filters.q.trim() || undefined,
    status: statuses,
    priority: filters.priority ? [filters.priority] : undefined,
    team_id: filters.teamId ?? undefined,
    assignee: filters.assignee ?? undefined,
    tag: filters.tag ?? undefined,
    sla: filters.sla ?? undefined,
    sort: filters.sort,
    order: filters.order,
  };
}

/** Whether a ticket (as a live event describes it) still belongs in a filtered list. */
export function matches(
  ticket: { status: string; priority: string; team_id: string | null; assignee_id: string | null },
  filters: TicketFilters,
  myId: string | null,
): boolean {
  const statuses = queryOf(filters).status;
  if (statuses && !statuses.includes(ticket.status as TicketStatus)) return false;
  if (filters.priority && ticket.priority !== filters.priority) return false;
  if (filters.teamId && ticket.team_id !== filters.teamId) return false;
  if (filters.assignee === "none" && ticket.assignee_id !== null) return false;
  if (filters.assignee === "me" && ticket.assignee_id !== myId) return false;
  return true;
}

export function isFiltered(filters: TicketFilters): boolean {
  return paramsFrom({ ...filters, sort: "created_at", order: "desc" }).size > 0;
}
