import { QueryClient } from "@tanstack/react-query";
import type { InfiniteData } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import type { Ticket, TicketPage } from "./api";
import { DEFAULT_FILTERS } from "./filters";
import type { Agent } from "./desk";
import { deskKeys, ticketKeys } from "./keys";
import { agentChanged, ticketChanged, ticketLinkChanged } from "./live";
import type { TicketChanged } from "./live";

const SLA = { policy_id: null, state: "ok", first_response_due_at: null, resolution_due_at: null, first_responded_at: null, resolved_at: null, breached_at: null, paused_since: null } as const;

function ticket(id: string, status: Ticket["status"], version = 1): Ticket {
  return {
    id, number: 1, key: `QM-${id}`, subject: `Ticket ${id}`, description: "", description_html: "", status, priority: "normal", channel: "web",
    team_id: null, assignee_id: null, requester: { id: "c", email: "r@example.com", name: "R", created_at: "" }, tags: [], custom_fields: {},
    product_ids: [], sla: { ...SLA }, merged_into_id: null, closed_at: null, version, created_at: "", updated_at: "",
  };
}

function change(row: Ticket, changes: Partial<TicketChanged>): TicketChanged {
  return { id: row.id, number: row.number, key: row.key, subject: row.subject, status: row.status, priority: row.priority, team_id: null, assignee_id: null, requester_id: "c", breached_at: null, version: row.version + 1, updated_at: "later", ...changes };
}

function seeded() {
  const client = new QueryClient();
  const key = ticketKeys.list(DEFAULT_FILTERS);
  client.setQueryData<InfiniteData<TicketPage>>(key, { pages: [{ items: [ticket("a", "open"), ticket("b", "new")], next_cursor: null }], pageParams: [null] });
  const rows = () => client.getQueryData<InfiniteData<TicketPage>>(key)!.pages[0]!.items;
  return { client, rows };
}

describe("live ticket changes in the queue", () => {
  it("update a row in place", () => {
    const { client, rows } = seeded();
    ticketChanged(client, change(rows()[0]!, { priority: "urgent", assignee_id: "agent-1" }));
    expect(rows().map((t) => [t.id, t.priority, t.assignee_id, t.version])).toEqual([["a", "urgent", "agent-1", 2], ["b", "normal", null, 1]]);
  });

  it("take a ticket out of a list its filters no longer keep (resolved leaves 'needs work')", () => {
    const { client, rows } = seeded();
    ticketChanged(client, change(rows()[1]!, { status: "resolved" }));
    expect(rows().map((t) => t.id)).toEqual(["a"]);
  });

  it("never replace a row with an older version of it", () => {
    const { client, rows } = seeded();
    ticketChanged(client, { ...change(rows()[0]!, { subject: "stale" }), version: 0 });
    expect(rows()[0]!.subject).toBe("Ticket a");
  });

  it("mark a breach on the row", () => {
    const { client, rows } = seeded();
    ticketChanged(client, change(rows()[0]!, { breached_at: "2026-12-02T10:00:00Z" }));
    expect(rows()[0]!.sla.state).toBe("breached");
  });
});

describe("live agent changes", () => {
  function agent(id: string, away: boolean): Agent {
    return { user_id: id, email: `${id}@example.com`, full_name: id.toUpperCase(), role: "staff", is_away: away, team_ids: [], open_tickets: 2 };
  }

  it("mark the agent away (or back) in the agents list, leaving the others as they were", () => {
    const client = new QueryClient();
    client.setQueryData<Agent[]>(deskKeys.agents(), [agent("a", false), agent("b", false)]);
    agentChanged(client, { user_id: "b", is_away: true, changed_by: "m" });
    expect(client.getQueryData<Agent[]>(deskKeys.agents())!.map((x) => [x.user_id, x.is_away, x.open_tickets])).toEqual([["a", false, 2], ["b", true, 2]]);
    agentChanged(client, { user_id: "b", is_away: false, changed_by: "b" });
    expect(client.getQueryData<Agent[]>(deskKeys.agents())!.map((x) => x.is_away)).toEqual([false, false]);
  });

  it("leave an agents list nobody loaded alone", () => {
    const client = new QueryClient();
    agentChanged(client, { user_id: "b", is_away: true, changed_by: "m" });
    expect(client.getQueryData(deskKeys.agents())).toBeUndefined();
  });
});

describe("a link added or removed", () => {
  it("refetches both tickets' pages, whichever side it was changed from", () => {
    const client = new QueryClient();
    for (const id of ["a", "b", "c"]) client.setQueryData(ticketKeys.detail(id), { ...ticket(id, "open"), links: [] });
    ticketLinkChanged(client, { id: "b", number: 2, other_ticket_id: "a", kind: "relates_to" });
    const invalid = (id: string) => client.getQueryState(ticketKeys.detail(id))!.isInvalidated;
    expect([invalid("a"), invalid("b"), invalid("c")]).toEqual([true, true, false]);
  });
});
