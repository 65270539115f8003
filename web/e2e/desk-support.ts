import type { APIRequestContext } from "@playwright/test";
import { rest } from "./support";

export interface Desk {
  team: { id: string };
  policy: { id: string };
}

/** A service desk through the public API: an SLA policy around the clock (so due times
 * show), a default round-robin team with the owner as its agent, a custom field. */
export async function seedDesk(request: APIRequestContext, token: string): Promise<Desk> {
  const api = rest(request, token);
  const me = await api.get<{ user: { id: string } }>("/me");
  const allDay = ["00:00-24:00"];
  const policy = await api.post<{ id: string }>("/sla-policies", {
    name: "Standard support",
    time_zone: "Europe/Berlin",
    weekly_hours: { mon: allDay, tue: allDay, wed: allDay, thu: allDay, fri: allDay, sat: allDay, sun: allDay },
    holidays: ["2026-12-25", "2026-12-26"],
    targets: {
      urgent: { first_response_minutes: 30, resolution_minutes: 240 },
      high: { first_response_minutes: 120, resolution_minutes: 960 },
      normal: { first_response_minutes: 480, resolution_minutes: 2880 },
      low: { first_response_minutes: 960, resolution_minutes: 5760 },
    },
    is_default: true,
  });
  const team = await api.post<{ id: string }>("/teams", { name: "Support", assignment_strategy: "round_robin", member_ids: [me.user.id], sla_policy_id: policy.id, is_default: true });
  await api.post("/ticket-fields", { key: "serial_number", label: "Serial number", type: "text" });
  await api.post("/ticket-fields", { key: "purchase_channel", label: "Bought at", type: "select", options: ["Web shop", "Retail", "Phone"] });
  return { team, policy };
}

/** The requester's single-use rating token of a resolved ticket (the mailed link's last part). */
export async function ratingToken(request: APIRequestContext, token: string, ticketId: string): Promise<string> {
  // Oldest first; a ticket has a survey per resolution, far fewer than a page of 500.
  const { items } = await rest(request, token).get<{ items: { url: string }[] }>(`/tickets/${ticketId}/csat?limit=500`);
  const url = items[items.length - 1]!.url;
  return new URL(url).pathname.split("/").filter(Boolean).pop()!;
}
