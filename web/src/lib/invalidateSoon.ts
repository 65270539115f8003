import type { QueryClient, QueryKey } from "@tanstack/react-query";

const pending = new Map<string, ReturnType<typeof setTimeout>>();

/** Invalidate a query key at most once per `delay`: a burst of live events (an import, a
 * busy warehouse) becomes one refetch instead of hundreds. */
export function invalidateSoon(client: QueryClient, queryKey: QueryKey, delay = 1000): void {
  const id = JSON.stringify(queryKey);
  if (pending.has(id)) return;
  pending.set(
    id,
    setTimeout(() => {
      pending.delete(id);
      void client.invalidateQueries({ queryKey });
    }, delay),
  );
}
