import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Download, FileUp, UploadCloud } from "lucide-react";
import { useRef, useState } from "react";
import type { Job } from "@/api/client";
import { describeError } from "@/api/problem";
import { useCan } from "@/auth/context";
import { formatRelative } from "@/lib/format";
import { Button } from "@/ui/Button";
import { Card, CardHeader, EmptyState, PageHeader, Skeleton } from "@/ui/layout";
import { Notice } from "@/ui/Notice";
import { KIND_LABELS, exportMovements, exportStockLevels, uploadProductImport, useJobs } from "./api";
import { JobCard, JobStatus, Progress } from "./JobCard";
import { jobKeys } from "./keys";

function ImportPanel({ onStarted }: { onStarted: (job: Job) => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const upload = useMutation({ mutationFn: ({ dryRun }: { dryRun: boolean }) => uploadProductImport(file as File, dryRun), onSuccess: onStarted });
  return (
    <Card>
      <CardHeader title="Import products" description="A CSV with the columns of the products export; SKU finds the product to update." />
      <div className="space-y-4 p-4">
        <label className="flex cursor-pointer flex-col items-center gap-2 rounded-xl border-2 border-dashed border-line px-4 py-8 text-center hover:border-accent hover:bg-accent-soft">
          <FileUp className="size-8 text-muted" aria-hidden />
          <span className="text-sm font-medium">{file ? file.name : "Choose a CSV file"}</span>
          <span className="text-xs text-muted">{file ? `${(file.size / 1024).toFixed(1)} kB` : "UTF-8, first row: sku,name,unit,…"}</span>
          <input
            ref={input}
            type="file"
            accept=".csv,text/csv"
            className="sr-only"
            aria-label="CSV file to import"
            onChange={(event) => {
              setFile(event.target.files?.[0] ?? null);
              upload.reset();
            }}
          />
        </label>
        {upload.error ? <Notice tone="bad">{describeError(upload.error)}</Notice> : null}
        <div className="flex flex-wrap gap-2">
          <Button disabled={!file} loading={upload.isPending && upload.variables?.dryRun} onClick={() => upload.mutate({ dryRun: true })}>
            Check file (dry run)
          </Button>
          <Button variant="primary" icon={<UploadCloud className="size-4" aria-hidden />} disabled={!file} loading={upload.isPending && !upload.variables?.dryRun} onClick={() => upload.mutate({ dryRun: false })}>
            Import
          </Button>
        </div>
        <p className="text-xs text-muted">Rows with errors are skipped and listed with their row number; the others are imported.</p>
      </div>
    </Card>
  );
}

const EXPORTS = [
  { what: "levels", title: "Stock levels", text: "Every product in every bin, now." },
  { what: "movements", title: "Movements", text: "Everything in and out, the last 30 days." },
] as const;

function ExportPanel({ onStarted }: { onStarted: (job: Job) => void }) {
  const start = useMutation({
    mutationFn: (what: "levels" | "movements") => {
      if (what === "levels") return exportStockLevels();
      const to = new Date();
      const from = new Date(to.getTime() - 30 * 86_400_000);
      return exportMovements(from.toISOString(), to.toISOString());
    },
    onSuccess: onStarted,
  });
  return (
    <Card className="self-start">
      <CardHeader title="Export" description="Made in the background; download when done." />
      <ul className="divide-y divide-line">
        {EXPORTS.map((item) => (
          <li key={item.what} className="flex items-center justify-between gap-3 px-4 py-3">
            <div className="min-w-0 text-sm">
              <p className="font-medium">{item.title}</p>
              <p className="text-muted">{item.text}</p>
            </div>
            <Button size="sm" icon={<Download className="size-4" aria-hidden />} loading={start.isPending && start.variables === item.what} onClick={() => start.mutate(item.what)}>
              Export
            </Button>
          </li>
        ))}
      </ul>
      <div className="px-4 pb-4">
        {start.error ? <Notice tone="bad">{describeError(start.error)}</Notice> : null}
      </div>
    </Card>
  );
}

export default function JobsPage() {
  const canImport = useCan("catalog:write");
  const canExport = useCan("inventory:read");
  const { data: jobs } = useJobs();
  const client = useQueryClient();
  const [selected, setSelected] = useState<string | null>(null);
  const started = (job: Job) => {
    client.setQueryData(jobKeys.detail(job.id), job);
    void client.invalidateQueries({ queryKey: jobKeys.lists() });
    setSelected(job.id);
  };
  return (
    <>
      <PageHeader title="Imports & exports" description="Long work runs in the background; progress shows here live." />
      <div className="grid gap-6 lg:grid-cols-3">
        <div className="space-y-6 lg:col-span-2">
          {canImport ? <ImportPanel onStarted={started} /> : null}
          {selected ? <JobCard id={selected} onClose={() => setSelected(null)} /> : null}
        </div>
        {canExport ? <ExportPanel onStarted={started} /> : null}
      </div>
      <Card className="mt-6">
        <CardHeader title="Recent jobs" description="Everyone's in this organisation" />
        {!jobs ? (
          <Skeleton className="m-4 h-24" />
        ) : jobs.length ? (
          <ul className="divide-y divide-line">
            {jobs.map((job) => (
              <li key={job.id}>
                <button type="button" onClick={() => setSelected(job.id)} className="grid w-full grid-cols-[minmax(0,1fr)_auto] items-center gap-x-4 gap-y-1 px-4 py-3 text-left text-sm hover:bg-raised sm:grid-cols-[minmax(0,1fr)_8rem_6rem_8rem]">
                  <span className="truncate font-medium">
                    {KIND_LABELS[job.kind] ?? job.kind}
                    {(job.params as { dry_run?: boolean }).dry_run ? <span className="ml-2 text-xs text-muted">check only</span> : null}
                  </span>
                  <span className="hidden sm:block">{job.status === "running" ? <Progress value={job.progress} label={`${KIND_LABELS[job.kind] ?? job.kind} progress`} /> : null}</span>
                  <JobStatus job={job} />
                  <span className="col-span-2 text-xs text-muted sm:col-span-1 sm:text-right">{formatRelative(job.created_at)}</span>
                </button>
              </li>
            ))}
          </ul>
        ) : (
          <EmptyState title="No jobs yet">Imports and exports you or your colleagues start show up here.</EmptyState>
        )}
      </Card>
    </>
  );
}
