import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AuthContext } from "@/auth/context";
import type { Auth } from "@/auth/context";
import { fakeApi, problem } from "@/test/http";
import type { TicketDetail } from "./api";
import { ProductsCard } from "./ProductsCard";
import type { useTicketEdit } from "./useTicketEdit";

const TICKET = { id: "t1", status: "open", product_ids: ["p1"], reservations: [], version: 1 } as unknown as TicketDetail;
const EDIT = { save: vi.fn(), saving: false, conflict: false, reload: vi.fn() } as unknown as ReturnType<typeof useTicketEdit>;

afterEach(() => vi.unstubAllGlobals());

describe("reserving a replacement", () => {
  it("retries with the same Idempotency-Key, so a lost answer reserves once", async () => {
    let posts = 0;
    const api = fakeApi((r) => {
      if (r.path === "/api/v1/products/p1") return Response.json({ id: "p1", sku: "PUMP-1", name: "Pump", unit: "pcs" });
      if (r.path === "/api/v1/products/p1/stock") return Response.json({ product_id: "p1", warehouses: [{ code: "MAIN", locations: [{ location_id: "l1", code: "A-01", available: "5" }] }] });
      if (r.path === "/api/v1/tickets/t1/reserve") {
        posts += 1;
        return posts === 1 ? problem(503, "Try again.") : Response.json({ ...TICKET, version: 2 }, { status: 201 });
      }
      return undefined;
    });
    render(
      <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
        <AuthContext.Provider value={{ can: () => true } as unknown as Auth}>
          <ProductsCard ticket={TICKET} edit={EDIT} canWrite />
        </AuthContext.Provider>
      </QueryClientProvider>,
    );
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Reserve" }));
    await screen.findByRole("option", { name: /MAIN A-01/ });
    await user.selectOptions(screen.getByLabelText("From"), "l1");
    await user.click(screen.getByRole("button", { name: "Reserve" }));
    expect(await screen.findByText(/Try again/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Reserve" }));
    await waitFor(() => expect(screen.queryByRole("form", { name: "Reserve a replacement" })).toBeNull());

    const keys = api.requests.filter((r) => r.method === "POST").map((r) => r.headers.get("Idempotency-Key"));
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBeTruthy();
    expect(keys[1]).toBe(keys[0]);
  });
});
