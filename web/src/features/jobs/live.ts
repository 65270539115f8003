import type { QueryClient } from "@tanstack/react-query";
import type { Job, Schemas } from "@/api/client";
import { invalidateSoon } from "@/lib/invalidateSoon";
import { jobKeys } from "./keys";

/** What jobs.job.* events carry: the job without its params and result. */
export type JobChanged = Pick<Job, "id" | "kind" | "status" | "progress" | "attempts" | "error" | "created_by" | "created_at" | "started_at" | "finished_at">;

type JobPage = Schemas["Page_JobRead_"];
const FINISHED = new Set(["succeeded", "failed", "cancelled"]);

/** Progress and status move in place; a finished job is refetched for its result. */
export function jobChanged(client: QueryClient, change: JobChanged): void {
  client.setQueryData<Job>(jobKeys.detail(change.id), (old) => (old ? { ...old, ...change } : old));
  let listed = false;
  for (const [key, page] of client.getQueriesData<JobPage>({ queryKey: jobKeys.lists() })) {
    if (!page) continue;
    if (page.items.some((job) => job.id === change.id)) listed = true;
    client.setQueryData<JobPage>(key, {
      ...page,
      items: page.items.map((job) => (job.id === change.id ? { ...job, ...change } : job)),
    });
  }
  if (!listed) invalidateSoon(client, jobKeys.lists(), 200);
  if (FINISHED.has(change.status)) {
    void client.invalidateQueries({ queryKey: jobKeys.detail(change.id) });
    invalidateSoon(client, jobKeys.lists(), 200);
  }
}

export function resyncJobs(client: QueryClient): void {
  void client.invalidateQueries({ queryKey: jobKeys.all });
}
