import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { alertKeys } from "./keys";
import type { AlertStatusFilter } from "./keys";

export function useAlerts(status: AlertStatusFilter, productId?: string, limit = 100) {
  return useQuery({
    queryKey: alertKeys.list(status, productId),
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/v1/stock/alerts", { params: { query: { status, product_id: productId, limit } }, signal })),
    select: (page) => page.items,
  });
}

export function acknowledgeAlert(id: string) {
  return unwrap(api.POST("/api/v1/stock/alerts/{alert_id}/acknowledge", { params: { path: { alert_id: id } } }));
}
