import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { applyLiveEvent } from "@/app/liveEvents";
import { AuthContext } from "@/auth/context";
import type { Auth } from "@/auth/context";
import { fakeApi } from "@/test/http";
import { useTicket } from "./api";
import type { TicketDetail } from "./api";
import { TicketFacts } from "./TicketFacts";
import { useTicketEdit } from "./useTicketEdit";

const AGENTS = [
  { user_id: "u1", full_name: "Ada Agent", email: "ada@example.com", role: "staff", is_away: false, open_tickets: 1, team_ids: [] },
  { user_id: "u2", full_name: "Bo Agent", email: "bo@example.com", role: "staff", is_away: false, open_tickets: 0, team_ids: [] },
];
const FIELDS = [
  { id: "f1", key: "serial", label: "Serial number", type: "text", options: [], required: false, created_at: "2026-12-01T00:00:00Z" },
  { id: "f2", key: "model", label: "Model", type: "select", options: ["X1", "X2"], required: false, created_at: "2026-12-01T00:00:00Z" },
];

function ticket(version: number, changes: Partial<TicketDetail> = {}): TicketDetail {
  return {
    id: "t1",
    number: 1042,
    key: "QM-1042",
    subject: "Pump broken",
    status: "open",
    priority: "normal",
    team_id: null,
    assignee_id: "u1",
    tags: ["rma"],
    custom_fields: { serial: "SN-1", model: "X1" },
    product_ids: [],
    version,
    updated_at: `2026-12-02T10:0${version}:00Z`,
    ...changes,
  } as TicketDetail;
}

const AUTH = { me: { user: { id: "u1" } }, can: () => true } as unknown as Auth;

function Facts() {
  const { data } = useTicket("t1");
  return data ? <Editable ticket={data} /> : null;
}

function Editable({ ticket }: { ticket: TicketDetail }) {
  const edit = useTicketEdit(ticket);
  return <TicketFacts ticket={ticket} edit={edit} canWrite />;
}

/** The ticket as another agent left it: the server answers with `current`. */
function serve(state: { current: TicketDetail }) {
  return fakeApi((r) => {
    if (r.path === "/api/v1/tickets/t1" && r.method === "GET") return Response.json(state.current);
    if (r.path === "/api/v1/agents") return Response.json({ items: AGENTS, next_cursor: null });
    if (r.path === "/api/v1/teams") return Response.json({ items: [], next_cursor: null });
    if (r.path === "/api/v1/ticket-fields") return Response.json({ items: FIELDS, next_cursor: null });
    return undefined;
  });
}

function renderFacts() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <AuthContext.Provider value={AUTH}>
        <Facts />
      </AuthContext.Provider>
    </QueryClientProvider>,
  );
  return client;
}

/** servicedesk.ticket.updated on tickets:updates, as the server sends it after a PATCH. */
function updatedElsewhere(client: QueryClient, after: TicketDetail) {
  applyLiveEvent(client, {
    op: "event",
    channel: "tickets:updates",
    offset: "2",
    epoch: "e",
    event_id: "ev2",
    type: "servicedesk.ticket.updated",
    occurred_at: after.updated_at,
    data: { id: after.id, number: after.number, key: after.key, subject: after.subject, status: after.status, priority: after.priority, team_id: after.team_id, assignee_id: after.assignee_id, requester_id: "c1", breached_at: null, version: after.version, updated_at: after.updated_at },
  });
}

afterEach(() => vi.unstubAllGlobals());

describe("the ticket's details while another agent edits it", () => {
  it("shows their custom fields, tags, priority and assignee without a reload", async () => {
    const state = { current: ticket(1) };
    serve(state);
    const client = renderFacts();
    expect(await screen.findByLabelText("Serial number")).toHaveValue("SN-1");

    state.current = ticket(2, { custom_fields: { serial: "SN-2", model: "X2" }, tags: ["rma", "vip"], priority: "urgent", assignee_id: "u2" });
    updatedElsewhere(client, state.current);

    await waitFor(() => expect(screen.getByLabelText("Serial number")).toHaveValue("SN-2"));
    expect(screen.getByLabelText("Model")).toHaveValue("X2");
    expect(screen.getByLabelText("Tags")).toHaveValue("rma, vip");
    expect(screen.getByLabelText("Priority")).toHaveValue("urgent");
    expect(screen.getByLabelText("Assignee")).toHaveValue("u2");
    // Nothing typed here: nothing to save or undo.
    expect(screen.queryByRole("button", { name: "Save details" })).toBeNull();
  });

  it("keeps what this agent is typing and takes the rest", async () => {
    const state = { current: ticket(1) };
    serve(state);
    const client = renderFacts();
    const serial = await screen.findByLabelText("Serial number");
    const user = userEvent.setup();
    await user.clear(serial);
    await user.type(serial, "SN-typed");

    state.current = ticket(2, { custom_fields: { serial: "SN-2", model: "X2" } });
    updatedElsewhere(client, state.current);

    await waitFor(() => expect(screen.getByLabelText("Model")).toHaveValue("X2"));
    expect(screen.getByLabelText("Serial number")).toHaveValue("SN-typed");
    expect(screen.getByRole("button", { name: "Save details" })).toBeInTheDocument();
  });
});
