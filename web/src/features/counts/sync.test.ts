import { IDBFactory } from "fake-indexeddb";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError, NetworkError } from "@/api/problem";
import { addCount, listCounts, newCountId, resetQueueConnection } from "./queue";
import type { CountEntry } from "./queue";
import { syncCounts } from "./sync";
import type { SyncDeps } from "./sync";

const TENANT = "t1";

async function count(code: string, overrides: Partial<CountEntry> = {}) {
  return addCount({
    id: newCountId(),
    tenantId: TENANT,
    warehouseId: "w",
    locationId: "l",
    locationCode: "A-01",
    code,
    productId: `p-${code}`,
    sku: code,
    name: code,
    unit: "pcs",
    countedQuantity: "8",
    countedAt: new Date(Date.now() + Number(overrides.countedQuantity ?? 0)).toISOString(),
    ...overrides,
  });
}

/** A server that records each count once per Idempotency-Key (as the API does). */
function server() {
  const byKey = new Map<string, number>();
  const calls: string[] = [];
  let mode: "up" | "down" | "refuse" = "up";
  const deps: SyncDeps = {
    send: vi.fn(async (entry) => {
      calls.push(entry.id);
      if (mode === "down") throw new NetworkError();
      if (mode === "refuse") throw new ApiError({ type: "x", title: "Conflict", status: 409, detail: "Product DRL is archived." });
      byKey.set(entry.id, (byKey.get(entry.id) ?? 0) + 1);
      return { adjustment: "-2" };
    }),
    resolve: vi.fn(async (code) => (code === "4006381333931" ? { id: "p-scanned", sku: "SCAN", name: "Scanned", unit: "pcs", barcode: code } : null)),
  };
  return { deps, byKey, calls, set: (m: typeof mode) => (mode = m) };
}

describe("the offline count queue", () => {
  beforeEach(() => {
    globalThis.indexedDB = new IDBFactory();
    resetQueueConnection();
  });

  it("keeps counted lines across a reload, oldest first", async () => {
    await count("B", { countedAt: "2026-12-01T10:05:00Z" });
    await count("A", { countedAt: "2026-12-01T10:00:00Z" });
    resetQueueConnection(); // a new page load opens the database again
    const lines = await listCounts(TENANT);
    expect(lines.map((l) => l.code)).toEqual(["A", "B"]);
    expect(lines.every((l) => l.state === "pending")).toBe(true);
  });

  it("sends each line once with its id as the Idempotency-Key, with its counted time", async () => {
    const api = server();
    const a = await count("A", { countedAt: "2026-12-01T10:00:00Z" });
    const b = await count("B", { countedAt: "2026-12-01T10:01:00Z" });
    const result = await syncCounts(TENANT, api.deps);
    expect(result).toMatchObject({ sent: 2, failed: 0, interrupted: false });
    expect([...api.byKey.entries()]).toEqual([[a.id, 1], [b.id, 1]]);
    expect(vi.mocked(api.deps.send).mock.calls[0]![0].countedAt).toBe("2026-12-01T10:00:00Z");
    const lines = await listCounts(TENANT);
    expect(lines.map((l) => [l.state, l.adjustment])).toEqual([["synced", "-2"], ["synced", "-2"]]);
    await syncCounts(TENANT, api.deps); // nothing left to send
    expect(api.calls).toHaveLength(2);
  });

  it("keeps lines queued while offline and sends them once the network is back", async () => {
    const api = server();
    api.set("down");
    await count("A");
    await count("B");
    const offline = await syncCounts(TENANT, api.deps);
    expect(offline).toMatchObject({ sent: 0, interrupted: true, remaining: 2 });
    expect((await listCounts(TENANT)).map((l) => l.state)).toEqual(["pending", "pending"]);
    api.set("up");
    await syncCounts(TENANT, api.deps);
    expect((await listCounts(TENANT)).map((l) => l.state)).toEqual(["synced", "synced"]);
    expect([...api.byKey.values()]).toEqual([1, 1]);
  });

  it("retries a line whose answer was lost with the same key (recorded once)", async () => {
    const api = server();
    const line = await count("A");
    vi.mocked(api.deps.send).mockImplementationOnce(async (entry) => {
      api.byKey.set(entry.id, 1); // the server recorded it …
      throw new NetworkError(); // … but the answer never arrived
    });
    await syncCounts(TENANT, api.deps);
    await syncCounts(TENANT, api.deps);
    expect(vi.mocked(api.deps.send).mock.calls.map(([entry]) => entry.id)).toEqual([line.id, line.id]);
  });

  it("marks a refused line failed with the server's reason and goes on", async () => {
    const api = server();
    await count("A");
    api.set("refuse");
    const result = await syncCounts(TENANT, api.deps);
    expect(result).toMatchObject({ failed: 1, interrupted: false });
    const [line] = await listCounts(TENANT);
    expect(line).toMatchObject({ state: "failed", error: "Product DRL is archived." });
  });

  it("matches a code scanned offline to its product when sending", async () => {
    const api = server();
    await count("4006381333931", { productId: null, sku: null, name: null });
    await count("nothing-like-it", { productId: null, sku: null, name: null });
    await syncCounts(TENANT, api.deps);
    const lines = await listCounts(TENANT);
    const scanned = lines.find((l) => l.code === "4006381333931");
    expect(scanned).toMatchObject({ state: "synced", productId: "p-scanned", name: "Scanned" });
    expect(lines.find((l) => l.code === "nothing-like-it")).toMatchObject({ state: "failed" });
  });

  it("sends nothing twice when syncs overlap (online event, new line, timer)", async () => {
    const api = server();
    await count("A");
    await count("B");
    await Promise.all([syncCounts(TENANT, api.deps), syncCounts(TENANT, api.deps), syncCounts(TENANT, api.deps)]);
    expect([...api.byKey.values()]).toEqual([1, 1]);
    expect(api.calls).toHaveLength(2);
  });

  it("keeps each organisation's lines apart", async () => {
    await count("A");
    await count("B", { tenantId: "t2" });
    expect((await listCounts(TENANT)).map((l) => l.code)).toEqual(["A"]);
  });
});
