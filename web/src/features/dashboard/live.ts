import type { QueryClient } from "@tanstack/react-query";
import { invalidateSoon } from "@/lib/invalidateSoon";
import { reportKeys } from "./keys";

/** Stock value and the movements chart follow stock moves, at most every two seconds. */
export function reportsChanged(client: QueryClient): void {
  invalidateSoon(client, reportKeys.all, 2000);
}
