import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Location } from "@/api/client";
import { fakeApi } from "@/test/http";
import { LocationPicker } from "./ScanFields";

const MAIN = { id: "w1", code: "MAIN", name: "Main warehouse", is_active: true, default_location_id: "l0" };
const BIN = { id: "l2", warehouse_id: "w1", code: "A-01-02", name: "Aisle A" };

afterEach(() => vi.unstubAllGlobals());

describe("a bin scanned before the page has loaded the warehouses", () => {
  it("is resolved once they arrive, not dropped", async () => {
    let release: () => void = () => undefined;
    const loaded = new Promise<void>((resolve) => (release = resolve));
    fakeApi((r) => {
      // The list is slow: the scanner is faster.
      if (r.path === "/api/v1/warehouses") return loaded.then(() => Response.json({ items: [MAIN], next_cursor: null }));
      if (r.path === "/api/v1/locations") return Response.json({ items: [BIN], next_cursor: null });
      return undefined;
    });
    const chosen = vi.fn<(location: Location | null) => void>();
    render(
      <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
        <LocationPicker label="Into" value={null} onChange={chosen} remember={false} />
      </QueryClientProvider>,
    );

    const code = screen.getByLabelText("Into: location code");
    fireEvent.change(code, { target: { value: "a-01-02" } });
    fireEvent.keyDown(code, { key: "Enter" });
    release();

    await waitFor(() => expect(chosen).toHaveBeenCalledWith(expect.objectContaining({ id: "l2", code: "A-01-02" })));
  });
});
