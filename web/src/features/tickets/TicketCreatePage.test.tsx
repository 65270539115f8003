import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AuthContext } from "@/auth/context";
import type { Auth } from "@/auth/context";
import { fakeApi, problem } from "@/test/http";
import TicketCreatePage from "./TicketCreatePage";

afterEach(() => vi.unstubAllGlobals());

function desk(createAnswers: (() => Response)[]) {
  return fakeApi((r) => {
    if (r.path === "/api/v1/teams") return Response.json({ items: [], next_cursor: null });
    if (r.path === "/api/v1/ticket-fields") return Response.json({ items: [], next_cursor: null });
    if (r.path === "/api/v1/articles/suggest") return Response.json([]);
    if (r.method === "POST" && r.path === "/api/v1/tickets") return (createAnswers.shift() ?? (() => problem(500, "Unexpected")))();
    return undefined;
  });
}

function renderPage() {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <AuthContext.Provider value={{ can: () => true } as unknown as Auth}>
        <MemoryRouter initialEntries={["/tickets/new"]}>
          <Routes>
            <Route path="/tickets/new" element={<TicketCreatePage />} />
            <Route path="/tickets/:ticketId" element={<p>Ticket page</p>} />
          </Routes>
        </MemoryRouter>
      </AuthContext.Provider>
    </QueryClientProvider>,
  );
}

const CREATED = { id: "t9", key: "QM-9", number: 9, version: 1 };

/** The form filled and sent once; the answer is lost (503), the next one creates. */
async function firstAttemptLost() {
  const api = desk([() => problem(503, "Try again."), () => Response.json(CREATED, { status: 201 })]);
  renderPage();
  const user = userEvent.setup();
  await user.type(await screen.findByLabelText("Subject"), "Pump leaks");
  await user.type(screen.getByLabelText("Requester e-mail"), "ann@example.net");
  await user.click(screen.getByRole("button", { name: "Create ticket" }));
  expect(await screen.findByText(/Try again/)).toBeInTheDocument();
  return { api, user };
}

describe("opening a ticket", () => {
  it("retries with the same Idempotency-Key, so a lost answer opens one ticket", async () => {
    const { api, user } = await firstAttemptLost();
    await user.click(screen.getByRole("button", { name: "Create ticket" }));
    expect(await screen.findByText("Ticket page")).toBeInTheDocument();

    const keys = api.requests.filter((r) => r.method === "POST").map((r) => r.headers.get("Idempotency-Key"));
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBeTruthy();
    expect(keys[1]).toBe(keys[0]);
  });

  it("sends a changed form with a new key (the old one would be refused as reused)", async () => {
    const { api, user } = await firstAttemptLost();
    await user.type(screen.getByLabelText("Subject"), " badly");
    await user.click(screen.getByRole("button", { name: "Create ticket" }));
    expect(await screen.findByText("Ticket page")).toBeInTheDocument();

    const posts = api.requests.filter((r) => r.method === "POST");
    expect(posts.map((r) => (r.body as { subject: string }).subject)).toEqual(["Pump leaks", "Pump leaks badly"]);
    expect(posts[1]!.headers.get("Idempotency-Key")).not.toBe(posts[0]!.headers.get("Idempotency-Key"));
  });
});
