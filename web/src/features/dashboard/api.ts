import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import type { Schemas } from "@/api/client";
import { localMidnight, timeZone } from "@/lib/dates";
import { reportKeys } from "./keys";

export type ValueByWarehouse = Schemas["StockValueByWarehouse"];
export type ValueByCategory = Schemas["StockValueByCategory"];

export function useStockValueByWarehouse() {
  return useQuery({
    queryKey: reportKeys.stockValue("warehouse"),
    queryFn: () => unwrap(api.GET("/api/v1/reports/stock-value", { params: { query: { group_by: "warehouse" } } })) as Promise<ValueByWarehouse>,
  });
}

export function useStockValueByCategory() {
  return useQuery({
    queryKey: reportKeys.stockValue("category"),
    queryFn: () => unwrap(api.GET("/api/v1/reports/stock-value", { params: { query: { group_by: "category" } } })) as Promise<ValueByCategory>,
  });
}

export function useMovementReport(days = 30) {
  const tz = timeZone();
  return useQuery({
    queryKey: reportKeys.movements(days, tz),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/reports/movements", {
          params: { query: { from: localMidnight(-(days - 1)), to: localMidnight(1), interval: "day", tz } },
        }),
      ),
  });
}
