import type { QueryClient } from "@tanstack/react-query";
import { invalidateSoon } from "@/lib/invalidateSoon";
import { alertKeys } from "./keys";

/** What inventory.alert.raised / resolved carry. */
export interface AlertChanged {
  id: string;
  product_id: string;
  sku: string;
  warehouse_id: string;
  status: string;
  available: string;
  reorder_point: string;
  at: string;
}

export const ALERT_RAISED = "inventory.alert.raised";
export const ALERT_RESOLVED = "inventory.alert.resolved";

/** An alert moved between lists (open → resolved): the lists refetch, in one go per burst. */
export function alertChanged(client: QueryClient): void {
  invalidateSoon(client, alertKeys.lists(), 200);
}

export function resyncAlerts(client: QueryClient): void {
  void client.invalidateQueries({ queryKey: alertKeys.all });
}
