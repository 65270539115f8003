/**
 * Sending queued counts. One sync at a time across all tabs (a Web Lock; a tab that finds it
 * taken leaves the work to the holder). Lines go oldest first, each with its own
 * Idempotency-Key. Offline or a server error stops the pass and keeps the rest queued; a
 * refusal (4xx) marks that line failed with the server's reason and goes on.
 */
import { ApiError, NetworkError } from "@/api/problem";
import { listCounts, updateCount } from "./queue";
import type { CountEntry, KnownProduct } from "./queue";

export interface CountAnswer {
  adjustment: string;
}

export interface SyncDeps {
  /** POST /stock/counts with the line's id as Idempotency-Key. */
  send: (entry: CountEntry & { productId: string }) => Promise<CountAnswer>;
  /** Find a product by barcode or SKU (null when there is none). */
  resolve: (code: string) => Promise<KnownProduct | null>;
  now?: () => Date;
}

export interface SyncResult {
  sent: number;
  failed: number;
  remaining: number;
  /** True when the pass stopped early (offline, server trouble) or another tab held the lock. */
  interrupted: boolean;
}

const LOCK = "qm.counts.sync";

async function exclusive<T>(work: () => Promise<T>, busy: T): Promise<T> {
  const locks = globalThis.navigator?.locks;
  if (!locks) return work();
  return locks.request(LOCK, { ifAvailable: true }, (lock) => (lock ? work() : busy)) as Promise<T>;
}

function transient(error: unknown): boolean {
  return error instanceof NetworkError || (error instanceof ApiError && (error.status >= 500 || error.status === 429)) || !(error instanceof ApiError);
}

async function syncPass(tenantId: string, deps: SyncDeps): Promise<SyncResult> {
  const now = deps.now ?? (() => new Date());
  const queue = (await listCounts(tenantId)).filter((e) => e.state === "pending");
  let sent = 0;
  let failed = 0;
  for (const [index, entry] of queue.entries()) {
    try {
      let productId = entry.productId;
      if (!productId) {
        const product = await deps.resolve(entry.code);
        if (!product) {
          await updateCount(entry.id, {
            state: "failed",
            error: `No product has the barcode or SKU "${entry.code}".`,
            attempts: entry.attempts + 1,
          });
          failed += 1;
          continue;
        }
        productId = product.id;
        await updateCount(entry.id, { productId, sku: product.sku, name: product.name, unit: product.unit });
      }
      const answer = await deps.send({ ...entry, productId });
      await updateCount(entry.id, {
        state: "synced",
        syncedAt: now().toISOString(),
        adjustment: answer.adjustment,
        attempts: entry.attempts + 1,
        error: undefined,
      });
      sent += 1;
    } catch (error) {
      if (transient(error)) {
        await updateCount(entry.id, { attempts: entry.attempts + 1 });
        return { sent, failed, remaining: queue.length - index, interrupted: true };
      }
      await updateCount(entry.id, {
        state: "failed",
        error: error instanceof ApiError ? error.problem.detail : String(error),
        attempts: entry.attempts + 1,
      });
      failed += 1;
    }
  }
  return { sent, failed, remaining: 0, interrupted: false };
}

let running: Promise<SyncResult> | null = null;
let again = false;

/** Send every pending line of the tenant once. A call while a pass runs joins it, and one
 * more pass follows for lines added meanwhile. */
export function syncCounts(tenantId: string, deps: SyncDeps): Promise<SyncResult> {
  if (running) {
    again = true;
    return running;
  }
  const passes = async (): Promise<SyncResult> => {
    let result: SyncResult;
    do {
      again = false;
      result = await exclusive(() => syncPass(tenantId, deps), { sent: 0, failed: 0, remaining: -1, interrupted: true });
    } while (again && !result.interrupted);
    return result;
  };
  running = passes().finally(() => {
    running = null;
  });
  return running;
}
