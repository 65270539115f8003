import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { localMidnight, timeZone } from "@/lib/dates";
import { ticketKeys } from "./keys";

export function useTicketReport(days: number) {
  const tz = timeZone();
  return useQuery({
    queryKey: ticketKeys.report(days, tz),
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/v1/reports/tickets", { params: { query: { from: localMidnight(-(days - 1)), to: localMidnight(1), interval: "day", tz } }, signal })),
  });
}

export function useCsatResults(groupBy: "team" | "agent") {
  return useQuery({
    queryKey: ticketKeys.csatResults(groupBy),
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/reports/csat", { params: { query: { group_by: groupBy } }, signal })),
  });
}

/** "3 h 20 min", "2 d 4 h", "45 min" from seconds (null: no data). */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 60) return "< 1 min";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ""}`;
  const days = Math.floor(hours / 24);
  return `${days} d${hours % 24 ? ` ${hours % 24} h` : ""}`;
}

/** The median of medians is not a median: the period's figure is the bucket-weighted middle. */
export function weightedMiddle(values: { value: number | null; weight: number }[]): number | null {
  const known = values.filter((v): v is { value: number; weight: number } => v.value !== null && v.weight > 0).sort((a, b) => a.value - b.value);
  const total = known.reduce((sum, v) => sum + v.weight, 0);
  if (!total) return null;
  let seen = 0;
  for (const v of known) {
    seen += v.weight;
    if (seen >= total / 2) return v.value;
  }
  return null;
}
