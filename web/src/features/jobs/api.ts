import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import type { Job } from "@/api/client";
import { ApiError, problemFrom } from "@/api/problem";
import { authFetch } from "@/auth/session";
import { jobKeys } from "./keys";

export function useJobs() {
  return useQuery({
    queryKey: jobKeys.list(),
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/jobs", { params: { query: { limit: 30 } }, signal })),
    select: (page) => page.items,
  });
}

export function useJob(id: string | null) {
  return useQuery({
    queryKey: jobKeys.detail(id ?? ""),
    enabled: !!id,
    queryFn: ({ signal }) => unwrap(api.GET("/api/v1/jobs/{job_id}", { params: { path: { job_id: id as string } }, signal })),
  });
}

export function uploadProductImport(file: File, dryRun: boolean): Promise<Job> {
  const form = new FormData();
  form.append("file", file, file.name);
  return unwrap(
    api.POST("/api/v1/imports/products", {
      params: { query: { dry_run: dryRun } },
      body: form as unknown as { file: string },
      bodySerializer: (body) => body as unknown as FormData,
    }),
  );
}

export function exportStockLevels(): Promise<Job> {
  return unwrap(api.POST("/api/v1/exports/stock-levels", {}));
}

export function exportMovements(from: string, to: string): Promise<Job> {
  return unwrap(api.POST("/api/v1/exports/movements", { params: { query: { from, to } } }));
}

export function cancelJob(id: string): Promise<Job> {
  return unwrap(api.POST("/api/v1/jobs/{job_id}/cancel", { params: { path: { job_id: id } } }));
}

/** Download a finished export with the session's token (a plain link could not send it). */
export async function downloadResult(job: Job): Promise<void> {
  const response = await authFetch(new Request(`/api/v1/jobs/${job.id}/result`));
  if (!response.ok) throw new ApiError(problemFrom(await response.json().catch(() => null), response), response);
  const blob = await response.blob();
  const name = /filename="?([^";]+)"?/.exec(response.headers.get("content-disposition") ?? "")?.[1] ?? `${job.kind}.csv`;
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export interface ImportResult {
  dry_run?: boolean;
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  error_count: number;
  errors: { row: number; column: string | null; message: string }[];
  errors_truncated?: boolean;
  categories_created_count?: number;
}

export const KIND_LABELS: Record<string, string> = {
  product_import: "Product import",
  stock_levels_export: "Stock levels export",
  movements_export: "Movements export",
  low_stock_digest: "Low-stock digest",
  search_rederive: "Search index in a new language",
};
