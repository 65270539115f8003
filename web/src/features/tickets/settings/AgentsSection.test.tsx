import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Role } from "@/api/client";
import { AuthContext } from "@/auth/context";
import type { Auth } from "@/auth/context";
import { fakeApi } from "@/test/http";
import { AgentsSection } from "./AgentsSection";

const AGENTS = [
  { user_id: "u1", full_name: "Mia Manager", email: "mia@example.com", role: "manager", is_away: false, open_tickets: 4, team_ids: ["t1"] },
  { user_id: "u2", full_name: "Sam Staff", email: "sam@example.com", role: "staff", is_away: false, open_tickets: 2, team_ids: ["t1"] },
];

function renderAs(userId: string, role: Role) {
  const api = fakeApi((r) => {
    if (r.path === "/api/v1/agents") return Response.json({ items: AGENTS, next_cursor: null });
    if (r.path === "/api/v1/teams") return Response.json({ items: [{ id: "t1", name: "Support", members: [] }], next_cursor: null });
    const away = /^\/api\/v1\/agents\/(.+)$/.exec(r.path);
    if (away && r.method === "PATCH") return Response.json({ ...AGENTS.find((a) => a.user_id === away[1])!, ...(r.body as object) });
    return undefined;
  });
  const auth = { me: { user: { id: userId }, role }, can: () => true } as unknown as Auth;
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <AuthContext.Provider value={auth}>
        <AgentsSection />
      </AuthContext.Provider>
    </QueryClientProvider>,
  );
  return api;
}

afterEach(() => vi.unstubAllGlobals());

describe("the agents list", () => {
  it("lets a manager mark another agent away, with their teams and open tickets", async () => {
    const api = renderAs("u1", "manager");
    const sam = await screen.findByRole("switch", { name: "Sam Staff is away" });
    expect(screen.getByRole("row", { name: /Sam Staff/ })).toHaveTextContent("Support");
    expect(screen.getByRole("row", { name: /Mia Manager/ })).toHaveTextContent("4");
    await userEvent.setup().click(sam);
    await waitFor(() => expect(screen.getByRole("switch", { name: "Sam Staff is away" })).toHaveAttribute("aria-checked", "true"));
    const patch = api.requests.find((r) => r.method === "PATCH")!;
    expect([patch.path, patch.body]).toEqual(["/api/v1/agents/u2", { is_away: true }]);
  });

  it("lets staff change only their own switch", async () => {
    renderAs("u2", "staff");
    expect(await screen.findByRole("switch", { name: "Mia Manager is away" })).toBeDisabled();
    expect(screen.getByRole("switch", { name: "Sam Staff is away" })).toBeEnabled();
  });
});
