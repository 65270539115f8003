import type { InfiniteData, QueryClient } from "@tanstack/react-query";
import { invalidateSoon } from "@/lib/invalidateSoon";
import type { Ticket, TicketDetail, TicketPage } from "./api";
import { putAgent } from "./desk";
import { matches } from "./filters";
import type { TicketFilters } from "./filters";
import { deskKeys, ticketKeys } from "./keys";

/** The payload of servicedesk.ticket.created | updated | status_changed | assigned | merged. */
export interface TicketChanged {
  id: string;
  number: number;
  key: string;
  subject: string;
  status: Ticket["status"];
  priority: Ticket["priority"];
  team_id: string | null;
  assignee_id: string | null;
  requester_id: string;
  breached_at: string | null;
  version: number;
  updated_at: string;
  previous_status?: string | null;
  merged_into_id?: string | null;
}

/** The other ticket events name the ticket and what was added to it. */
export interface TicketTouched {
  id: string;
  number: number;
}

function stale(client: QueryClient, change: { id: string; version?: number }): boolean {
  const cached = client.getQueryData<TicketDetail>(ticketKeys.detail(change.id));
  return !!cached && (change.version === undefined || cached.version < change.version);
}

/** A new ticket: where it sorts (and whether the filters keep it) is the server's business. */
export function ticketCreated(client: QueryClient): void {
  invalidateSoon(client, ticketKeys.lists(), 250);
  invalidateSoon(client, [...ticketKeys.all, "report"], 2000);
}

/** A changed ticket: rows update in place; a row the filters no longer keep leaves. */
export function ticketChanged(client: QueryClient, change: TicketChanged): void {
  if (stale(client, change)) void client.invalidateQueries({ queryKey: ticketKeys.detail(change.id) });
  const lists = client.getQueriesData<InfiniteData<TicketPage>>({ queryKey: ticketKeys.lists() });
  for (const [key, data] of lists) {
    if (!data) continue;
    const filters = key[2] as TicketFilters;
    let found = false;
    const pages = data.pages.map((page) => {
      const items: Ticket[] = [];
      for (const item of page.items) {
        if (item.id !== change.id) {
          items.push(item);
          continue;
        }
        found = true;
        if (item.version > change.version) {
          items.push(item);
          continue;
        }
        const row: Ticket = {
          ...item,
          subject: change.subject,
          status: change.status,
          priority: change.priority,
          team_id: change.team_id,
          assignee_id: change.assignee_id,
          version: change.version,
          updated_at: change.updated_at,
          merged_into_id: change.merged_into_id ?? item.merged_into_id,
          sla: change.breached_at && !item.sla.breached_at ? { ...item.sla, state: "breached", breached_at: change.breached_at } : item.sla,
        };
        if (matches(row, filters, null)) items.push(row);
      }
      return { ...page, items };
    });
    if (found) client.setQueryData(key, { ...data, pages });
    // A ticket that now matches a list it was not in (or whose SLA or sort key moved).
    else if (matches(change, filters, null)) invalidateSoon(client, key, 500);
  }
  if (change.previous_status && change.status === "resolved") invalidateSoon(client, [...ticketKeys.all, "report"], 2000);
}

/** A comment, a file, a link or a reservation: the ticket's page refetches what changed. */
export function ticketCommented(client: QueryClient, data: TicketTouched): void {
  void client.invalidateQueries({ queryKey: ticketKeys.comments(data.id) });
  void client.invalidateQueries({ queryKey: ticketKeys.detail(data.id) });
}

export function ticketAttached(client: QueryClient, data: TicketTouched): void {
  void client.invalidateQueries({ queryKey: ticketKeys.attachments(data.id) });
  void client.invalidateQueries({ queryKey: ticketKeys.comments(data.id) });
}

export function ticketTouched(client: QueryClient, data: TicketTouched): void {
  void client.invalidateQueries({ queryKey: ticketKeys.detail(data.id) });
}

/** The payload of servicedesk.ticket.linked | unlinked. */
export interface TicketLinkChanged extends TicketTouched {
  other_ticket_id: string;
  kind: string;
}

/** A link shows on both tickets: both pages refetch, whichever side it was changed from. */
export function ticketLinkChanged(client: QueryClient, data: TicketLinkChanged): void {
  void client.invalidateQueries({ queryKey: ticketKeys.detail(data.id) });
  void client.invalidateQueries({ queryKey: ticketKeys.detail(data.other_ticket_id) });
}

export function ticketBreached(client: QueryClient, data: TicketTouched): void {
  void client.invalidateQueries({ queryKey: ticketKeys.detail(data.id) });
  invalidateSoon(client, ticketKeys.lists(), 500);
}

export function ticketRated(client: QueryClient, data: TicketTouched): void {
  void client.invalidateQueries({ queryKey: ticketKeys.csat(data.id) });
}

export function resyncTickets(client: QueryClient): void {
  void client.invalidateQueries({ queryKey: ticketKeys.all });
  void client.invalidateQueries({ queryKey: deskKeys.agents() });
  void client.invalidateQueries({ queryKey: deskKeys.teams() });
}

/** The payload of servicedesk.agent.updated: an agent marked away or back, and by whom. */
export interface AgentChanged {
  user_id: string;
  is_away: boolean;
  changed_by: string;
}

/** An agent marked away or back (by a manager elsewhere, or in another tab): every agents
 * list and the away toggle follow at once; the teams, whose members show it, refetch. */
export function agentChanged(client: QueryClient, change: AgentChanged): void {
  putAgent(client, change.user_id, { is_away: change.is_away });
  invalidateSoon(client, deskKeys.teams(), 250);
}
