import type { TicketFilters } from "./filters";

/** Every service desk query key comes from here (live updates and mutations use the same). */
export const ticketKeys = {
  all: ["tickets"] as const,
  lists: () => [...ticketKeys.all, "list"] as const,
  list: (filters: TicketFilters) => [...ticketKeys.lists(), filters] as const,
  details: () => [...ticketKeys.all, "detail"] as const,
  detail: (id: string) => [...ticketKeys.details(), id] as const,
  comments: (id: string) => [...ticketKeys.all, "comments", id] as const,
  attachments: (id: string) => [...ticketKeys.all, "attachments", id] as const,
  csat: (id: string) => [...ticketKeys.all, "csat", id] as const,
  report: (days: number, tz: string) => [...ticketKeys.all, "report", days, tz] as const,
  csatResults: (groupBy: string) => [...ticketKeys.all, "csat-results", groupBy] as const,
  suggest: (text: string) => [...ticketKeys.all, "suggest", text] as const,
};

/** The desk's configuration: teams, agents, SLA policies, custom fields, inbound address. */
export const deskKeys = {
  all: ["desk"] as const,
  teams: () => [...deskKeys.all, "teams"] as const,
  agents: () => [...deskKeys.all, "agents"] as const,
  policies: () => [...deskKeys.all, "sla-policies"] as const,
  fields: () => [...deskKeys.all, "fields"] as const,
  inbound: () => [...deskKeys.all, "inbound"] as const,
};
