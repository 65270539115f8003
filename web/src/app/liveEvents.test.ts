import { QueryClient } from "@tanstack/react-query";
import type { InfiniteData } from "@tanstack/react-query";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Job, Product, Schemas } from "@/api/client";
import { jobKeys } from "@/features/jobs/keys";
import { productKeys } from "@/features/products/keys";
import type { ProductFilters } from "@/features/products/keys";
import { stockKeys } from "@/features/stock/keys";
import type { LiveEvent } from "@/live/connection";
import { applyLiveEvent, channelsFor, resyncChannel } from "./liveEvents";

const P = "p-1";
const W = "w-main";
const BIN_A = "l-a";
const BIN_B = "l-b";

function stock(): Schemas["ProductStock"] {
  return {
    product_id: P,
    sku: "DRL-1",
    unit: "pcs",
    reorder_point: "5",
    totals: { on_hand: "12", reserved: "2", available: "10" },
    warehouses: [
      {
        warehouse_id: W,
        code: "MAIN",
        name: "Main",
        on_hand: "12",
        reserved: "2",
        available: "10",
        locations: [
          { location_id: BIN_A, code: "A-01", name: "A", on_hand: "10", reserved: "2", available: "8" },
          { location_id: BIN_B, code: "B-01", name: "B", on_hand: "2", reserved: "0", available: "2" },
        ],
      },
    ],
  };
}

function product(id: string, overrides: Partial<Product> = {}): Product {
  return {
    id,
    sku: id.toUpperCase(),
    name: `Product ${id}`,
    description: null,
    category_id: null,
    unit: "pcs",
    barcode: null,
    barcode_type: "other",
    attributes: {},
    reorder_point: "0",
    reorder_quantity: "0",
    is_active: true,
    version: 1,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    ...overrides,
  };
}

function live(type: string, data: unknown, id = Math.random().toString()): LiveEvent {
  return { op: "event", channel: "x", offset: "1-0", epoch: "e", event_id: id, type, occurred_at: "", data };
}

const ACTIVE: ProductFilters = { q: "", categoryId: null, belowReorder: false, archived: false, sort: "sku" };

describe("live events update the caches", () => {
  let client: QueryClient;
  beforeEach(() => {
    vi.useFakeTimers();
    client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  });
  afterEach(() => {
    vi.useRealTimers();
    client.clear();
  });

  it("moves a product's stock figures in place on inventory.stock.moved", () => {
    client.setQueryData(stockKeys.productStock(P), stock());
    applyLiveEvent(
      client,
      live("inventory.stock.moved", {
        levels: [{ product_id: P, location_id: BIN_A, warehouse_id: W, on_hand: "34", reserved: "2", available: "32" }],
      }),
    );
    const next = client.getQueryData<Schemas["ProductStock"]>(stockKeys.productStock(P))!;
    expect(next.totals).toEqual({ on_hand: "36", reserved: "2", available: "34" });
    expect(next.warehouses[0]!.available).toBe("34");
    expect(next.warehouses[0]!.locations.find((l) => l.location_id === BIN_A)?.available).toBe("32");
    expect(next.warehouses[0]!.locations.find((l) => l.location_id === BIN_B)?.available).toBe("2");
  });

  it("keeps decimals exact (no float drift)", () => {
    const decimal = stock();
    decimal.totals = { on_hand: "0.1", reserved: "0", available: "0.1" };
    decimal.warehouses[0]!.locations[1] = { location_id: BIN_B, code: "B", name: "B", on_hand: "0.1", reserved: "0", available: "0.1" };
    client.setQueryData(stockKeys.productStock(P), decimal);
    applyLiveEvent(client, live("inventory.stock.moved", { levels: [{ product_id: P, location_id: BIN_B, warehouse_id: W, on_hand: "0.3", reserved: "0", available: "0.3" }] }));
    expect(client.getQueryData<Schemas["ProductStock"]>(stockKeys.productStock(P))!.totals.available).toBe("0.3");
  });

  it("refetches a product's stock when the event names a location it has not shown yet", () => {
    client.setQueryData(stockKeys.productStock(P), stock());
    applyLiveEvent(client, live("inventory.stock.moved", { levels: [{ product_id: P, location_id: "l-new", warehouse_id: W, on_hand: "5", reserved: "0", available: "5" }] }));
    expect(client.getQueryState(stockKeys.productStock(P))?.isInvalidated).toBe(true);
  });

  it("updates the level of a reservation's location", () => {
    client.setQueryData(stockKeys.level(P, BIN_A), { product_id: P, location_id: BIN_A, warehouse_id: W, on_hand: "10", reserved: "2", available: "8", updated_at: "" });
    applyLiveEvent(client, live("inventory.reservation.created", { level: { product_id: P, location_id: BIN_A, warehouse_id: W, on_hand: "10", reserved: "5", available: "5" } }));
    expect(client.getQueryData<Schemas["LevelRead"]>(stockKeys.level(P, BIN_A))?.available).toBe("5");
  });

  it("replaces an edited product in the loaded list pages and its detail", () => {
    const pages: InfiniteData<Schemas["Page_ProductRead_"]> = {
      pages: [{ items: [product("a"), product("b")], next_cursor: "c" }, { items: [product("c")], next_cursor: null }],
      pageParams: [null, "c"],
    };
    client.setQueryData(productKeys.list(ACTIVE), pages);
    applyLiveEvent(client, live("catalog.product.updated", product("c", { name: "Renamed", version: 2 })));
    const next = client.getQueryData<typeof pages>(productKeys.list(ACTIVE))!;
    expect(next.pages[1]!.items[0]!.name).toBe("Renamed");
    expect(client.getQueryData<Product>(productKeys.detail("c"))?.version).toBe(2);
  });

  it("takes an archived product out of the list of active ones", () => {
    client.setQueryData(productKeys.list(ACTIVE), { pages: [{ items: [product("a"), product("b")], next_cursor: null }], pageParams: [null] });
    applyLiveEvent(client, live("catalog.product.archived", product("a", { is_active: false })));
    const next = client.getQueryData<InfiniteData<Schemas["Page_ProductRead_"]>>(productKeys.list(ACTIVE))!;
    expect(next.pages[0]!.items.map((p) => p.id)).toEqual(["b"]);
  });

  it("removes a deleted product everywhere", () => {
    client.setQueryData(productKeys.detail("a"), product("a"));
    client.setQueryData(productKeys.list(ACTIVE), { pages: [{ items: [product("a")], next_cursor: null }], pageParams: [null] });
    applyLiveEvent(client, live("catalog.product.deleted", { id: "a", sku: "A" }));
    expect(client.getQueryData(productKeys.detail("a"))).toBeUndefined();
    expect(client.getQueryData<InfiniteData<Schemas["Page_ProductRead_"]>>(productKeys.list(ACTIVE))!.pages[0]!.items).toEqual([]);
  });

  it("moves a job's progress in the list and its detail; a finished job is refetched", () => {
    const job = { id: "j1", kind: "product_import", status: "running", progress: 10 } as Job;
    client.setQueryData(jobKeys.list(), { items: [job], next_cursor: null });
    client.setQueryData(jobKeys.detail("j1"), job);
    applyLiveEvent(client, live("jobs.job.progress", { ...job, progress: 60 }));
    expect(client.getQueryData<Schemas["Page_JobRead_"]>(jobKeys.list())!.items[0]!.progress).toBe(60);
    expect(client.getQueryData<Job>(jobKeys.detail("j1"))?.progress).toBe(60);
    applyLiveEvent(client, live("jobs.job.succeeded", { ...job, status: "succeeded", progress: 100 }));
    expect(client.getQueryState(jobKeys.detail("j1"))?.isInvalidated).toBe(true);
  });

  it("refetches a burst of alert changes once", async () => {
    client.setQueryData(["alerts", "list", "open", null], []);
    const spy = vi.spyOn(client, "invalidateQueries");
    for (let i = 0; i < 50; i += 1) applyLiveEvent(client, live("inventory.alert.raised", { id: `a${i}` }));
    await vi.advanceTimersByTimeAsync(1000);
    expect(spy.mock.calls.filter(([filters]) => JSON.stringify(filters?.queryKey) === '["alerts","list"]')).toHaveLength(1);
  });

  it("refetches a channel's data on resync_required", () => {
    client.setQueryData(stockKeys.productStock(P), stock());
    resyncChannel(client, "inventory:updates");
    expect(client.getQueryState(stockKeys.productStock(P))?.isInvalidated).toBe(true);
  });

  it("subscribes only to the channels the role may read", () => {
    expect(channelsFor((p) => p === "tenant:read")).toEqual(["jobs:updates"]);
    expect(channelsFor(() => true)).toHaveLength(7);
    expect(channelsFor((p) => p === "tickets:read")).toEqual(["tickets:updates"]);
  });
});
