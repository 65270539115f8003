import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import type { Schemas } from "@/api/client";
import { reportKeys } from "./keys";

export type ValueByWarehouse = Schemas["StockValueByWarehouse"];
export type ValueByCategory = Schemas["StockValueByCategory"];

/** Local midnight as ISO 8601 with the local offset (the reports API wants an offset). */
export function localMidnight(daysFromToday: number, now = new Date()): string {
  const day = new Date(now.getFullYear(), now.getMonth(), now.getDate() + daysFromToday);
  const offset = -day.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const pad = (n: number) => String(Math.abs(n)).padStart(2, "0");
  const date = `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
  return `${date}T00:00:00${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
}

export function timeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

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
