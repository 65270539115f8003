import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useState, useSyncExternalStore } from "react";
import { useAuth } from "@/auth/context";
import { syncDeps } from "./api";
import { listCounts, onQueueChange, pruneSynced, updateCount } from "./queue";
import type { CountEntry } from "./queue";
import { syncCounts } from "./sync";

/** The tenant's queued count lines, re-read whenever any tab changes the queue. */
export function useCountQueue(): CountEntry[] {
  const { tenantId } = useAuth();
  const [entries, setEntries] = useState<CountEntry[]>([]);
  useEffect(() => {
    if (!tenantId) return;
    let alive = true;
    const load = () => void listCounts(tenantId).then((all) => alive && setEntries(all));
    load();
    const stop = onQueueChange(load);
    return () => {
      alive = false;
      stop();
    };
  }, [tenantId]);
  return entries;
}

interface SyncStatus {
  syncing: boolean;
  lastAttempt: number | null;
  interrupted: boolean;
}

let status: SyncStatus = { syncing: false, lastAttempt: null, interrupted: false };
const statusListeners = new Set<() => void>();
function setStatus(next: Partial<SyncStatus>) {
  status = { ...status, ...next };
  statusListeners.forEach((l) => l());
}

export function useSyncStatus(): SyncStatus {
  return useSyncExternalStore(
    (listener) => {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
    () => status,
  );
}

/** Send now (the "Send now" button, the online event, a new line). */
export function useSyncNow(): () => Promise<void> {
  const client = useQueryClient();
  const { tenantId } = useAuth();
  return useCallback(async () => {
    if (!tenantId) return;
    setStatus({ syncing: true });
    try {
      const result = await syncCounts(tenantId, syncDeps(client, tenantId));
      setStatus({ interrupted: result.interrupted });
    } finally {
      setStatus({ syncing: false, lastAttempt: Date.now() });
    }
  }, [client, tenantId]);
}

export function useRetryCount(): (entry: CountEntry) => Promise<void> {
  const syncNow = useSyncNow();
  return useCallback(
    async (entry) => {
      await updateCount(entry.id, { state: "pending", error: undefined });
      await syncNow();
    },
    [syncNow],
  );
}

const RETRY_MS = 20_000;

/** Mounted once in the shell: sends queued counts whenever there is a chance they go through. */
export function CountSyncAgent() {
  const { tenantId } = useAuth();
  const entries = useCountQueue();
  const syncNow = useSyncNow();
  const pending = entries.filter((e) => e.state === "pending").length;

  useEffect(() => {
    if (tenantId) void pruneSynced(tenantId);
  }, [tenantId]);

  useEffect(() => {
    if (!pending) return;
    if (navigator.onLine) void syncNow();
    const online = () => void syncNow();
    window.addEventListener("online", online);
    // Online but the server was unreachable: try again now and then.
    const timer = window.setInterval(() => navigator.onLine && void syncNow(), RETRY_MS);
    return () => {
      window.removeEventListener("online", online);
      window.clearInterval(timer);
    };
  }, [pending, syncNow]);

  return null;
}
