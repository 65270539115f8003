import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, useLocation, useSearchParams } from "react-router";
import { describe, expect, it } from "vitest";
import { DEFAULT_FILTERS, filtersFrom, matches, paramsFrom, queryOf } from "./filters";
import type { TicketFilters } from "./filters";
import { deskKeys } from "./keys";
import { TicketFiltersBar } from "./TicketFiltersBar";

describe("ticket filters and the URL", () => {
  it("round-trip, and only what differs from the default is in the URL", () => {
    const filters: TicketFilters = { ...DEFAULT_FILTERS, q: "charger", status: "pending", assignee: "me", sla: "breached", tag: "warranty", sort: "priority" };
    const params = paramsFrom(filters);
    expect(params.toString()).toBe("q=charger&status=pending&assignee=me&tag=warranty&sla=breached&sort=priority");
    expect(filtersFrom(params)).toEqual(filters);
    expect(paramsFrom(DEFAULT_FILTERS).toString()).toBe("");
  });

  it("fall back to the default for values an old or mistyped link carries", () => {
    const filters = filtersFrom(new URLSearchParams("status=bogus&priority=extreme&assignee=someone&sla=late&sort=x&order=up&tag=%20VIP%20"));
    expect(filters).toEqual({ ...DEFAULT_FILTERS, tag: "vip" });
  });

  it("ask the API for what still needs work by default", () => {
    expect(queryOf(DEFAULT_FILTERS).status).toEqual(["new", "open", "pending"]);
    expect(queryOf({ ...DEFAULT_FILTERS, status: "all" }).status).toBeUndefined();
    expect(queryOf({ ...DEFAULT_FILTERS, priority: "urgent" }).priority).toEqual(["urgent"]);
  });

  it("tell whether a changed ticket still belongs in a list", () => {
    const ticket = { status: "resolved", priority: "high", team_id: "t1", assignee_id: null };
    expect(matches(ticket, DEFAULT_FILTERS, null)).toBe(false);
    expect(matches(ticket, { ...DEFAULT_FILTERS, status: "resolved" }, null)).toBe(true);
    expect(matches(ticket, { ...DEFAULT_FILTERS, status: "all", assignee: "none", teamId: "t1" }, null)).toBe(true);
    expect(matches(ticket, { ...DEFAULT_FILTERS, status: "all", teamId: "t2" }, null)).toBe(false);
  });
});

function Harness() {
  const [params, setParams] = useSearchParams();
  const location = useLocation();
  const filters = filtersFrom(params);
  return (
    <>
      <TicketFiltersBar filters={filters} onChange={(changes) => setParams(paramsFrom({ ...filters, ...changes }), { replace: true })} />
      <output data-testid="url">{location.search}</output>
    </>
  );
}

function renderBar(url: string) {
  const client = new QueryClient();
  client.setQueryData(deskKeys.teams(), [{ id: "team-1", name: "Support", assignment_strategy: "manual", sla_policy_id: null, is_default: true, members: [], version: 1, created_at: "", updated_at: "" }]);
  render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[url]}>
        <Harness />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

describe("the filters bar", () => {
  it("shows the URL's filters and writes each choice back into the URL", async () => {
    const user = userEvent.setup();
    renderBar("/tickets?status=pending&assignee=me");
    expect(screen.getByLabelText("Status")).toHaveValue("pending");
    expect(screen.getByLabelText("Assignee")).toHaveValue("me");
    await user.selectOptions(screen.getByLabelText("Team"), "Support");
    await user.selectOptions(screen.getByLabelText("SLA"), "breached");
    expect(screen.getByTestId("url")).toHaveTextContent("?status=pending&team=team-1&assignee=me&sla=breached");
    await user.type(screen.getByLabelText("Search tickets"), "QM-1042");
    expect(await screen.findByText(/q=QM-1042/)).toBeInTheDocument();
  });

  it("clears every filter but keeps the sort", async () => {
    const user = userEvent.setup();
    renderBar("/tickets?priority=urgent&tag=vip&sort=priority");
    await user.click(screen.getAllByRole("button", { name: "Clear filters" })[0]!);
    expect(screen.getByTestId("url")).toHaveTextContent("?sort=priority");
    expect(screen.getByLabelText("Tag")).toHaveValue("");
  });
});
