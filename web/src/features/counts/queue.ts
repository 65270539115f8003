/**
 * The offline count queue: counted lines kept in IndexedDB (they survive a reload, a crash
 * and days without network) until the server has them.
 *
 * Each line is sent as its own count request: the API values a count "as of" its
 * `counted_at`, and lines counted minutes apart must not share one. The line's id, made
 * when it was counted, is the request's Idempotency-Key, so a line whose answer was lost
 * can be sent again and is still recorded once.
 */
import { openDB } from "idb";
import type { DBSchema, IDBPDatabase } from "idb";

export type CountState = "pending" | "failed" | "synced";

export interface CountEntry {
  /** Also the Idempotency-Key of its request. */
  id: string;
  tenantId: string;
  warehouseId: string;
  locationId: string;
  locationCode: string;
  /** What was scanned or typed: a barcode or a SKU. */
  code: string;
  /** Known when the product was found at counting time; else matched by `code` at sync. */
  productId: string | null;
  sku: string | null;
  name: string | null;
  unit: string | null;
  countedQuantity: string;
  countedAt: string;
  state: CountState;
  attempts: number;
  error?: string;
  syncedAt?: string;
  /** The difference the server booked (counted − on hand as of counted_at). */
  adjustment?: string;
}

export interface KnownProduct {
  id: string;
  sku: string;
  name: string;
  unit: string;
  barcode: string | null;
}

interface OfflineDB extends DBSchema {
  counts: { key: string; value: CountEntry; indexes: { tenant: string } };
  /** Products seen while online, by lower-cased barcode and SKU: scanning works offline. */
  products: { key: string; value: KnownProduct & { tenantId: string } };
}

const DB_NAME = "qm-offline";
const CHANNEL = "qm-counts";
let dbPromise: Promise<IDBPDatabase<OfflineDB>> | null = null;

function db(): Promise<IDBPDatabase<OfflineDB>> {
  dbPromise ??= openDB<OfflineDB>(DB_NAME, 1, {
    upgrade(database) {
      const counts = database.createObjectStore("counts", { keyPath: "id" });
      counts.createIndex("tenant", "tenantId");
      database.createObjectStore("products");
    },
  });
  return dbPromise;
}

/** For tests: forget the open connection (fake-indexeddb is reset between tests). */
export function resetQueueConnection(): void {
  dbPromise = null;
}

type Listener = () => void;
const listeners = new Set<Listener>();
const channel = typeof BroadcastChannel !== "undefined" ? new BroadcastChannel(CHANNEL) : null;
channel?.addEventListener("message", () => listeners.forEach((listener) => listener()));

function changed(): void {
  listeners.forEach((listener) => listener());
  channel?.postMessage("changed"); // other tabs re-read too
}

export function onQueueChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function newCountId(): string {
  return crypto.randomUUID();
}

export async function addCount(entry: Omit<CountEntry, "state" | "attempts">): Promise<CountEntry> {
  const stored: CountEntry = { ...entry, state: "pending", attempts: 0 };
  await (await db()).put("counts", stored);
  changed();
  return stored;
}

/** A tenant's lines, oldest count first. */
export async function listCounts(tenantId: string): Promise<CountEntry[]> {
  const all = await (await db()).getAllFromIndex("counts", "tenant", tenantId);
  return all.sort((a, b) => a.countedAt.localeCompare(b.countedAt) || a.id.localeCompare(b.id));
}

export async function updateCount(id: string, patch: Partial<CountEntry>): Promise<void> {
  const database = await db();
  const transaction = database.transaction("counts", "readwrite");
  const current = await transaction.store.get(id);
  if (current) await transaction.store.put({ ...current, ...patch, id });
  await transaction.done;
  changed();
}

export async function removeCount(id: string): Promise<void> {
  await (await db()).delete("counts", id);
  changed();
}

/** Forget sent lines older than `keepMs` (the screen shows the recent ones). */
export async function pruneSynced(tenantId: string, keepMs = 24 * 3600_000, now = Date.now()): Promise<void> {
  const entries = await listCounts(tenantId);
  const old = entries.filter((e) => e.state === "synced" && e.syncedAt && now - Date.parse(e.syncedAt) > keepMs);
  if (!old.length) return;
  const database = await db();
  const transaction = database.transaction("counts", "readwrite");
  await Promise.all(old.map((e) => transaction.store.delete(e.id)));
  await transaction.done;
  changed();
}

export async function rememberProduct(tenantId: string, product: KnownProduct): Promise<void> {
  const database = await db();
  const transaction = database.transaction("products", "readwrite");
  const value = { ...product, tenantId };
  await transaction.store.put(value, `${tenantId}:${product.sku.toLowerCase()}`);
  if (product.barcode) await transaction.store.put(value, `${tenantId}:${product.barcode.toLowerCase()}`);
  await transaction.done;
}

export async function knownProduct(tenantId: string, code: string): Promise<KnownProduct | null> {
  const found = await (await db()).get("products", `${tenantId}:${code.trim().toLowerCase()}`);
  return found ?? null;
}
