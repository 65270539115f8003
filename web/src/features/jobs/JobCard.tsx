import { useMutation } from "@tanstack/react-query";
import { Download, X } from "lucide-react";
import type { Job } from "@/api/client";
import { describeError } from "@/api/problem";
import { formatDateTime, formatRelative } from "@/lib/format";
import { Button } from "@/ui/Button";
import { Badge, Table, Td, Th } from "@/ui/layout";
import { Notice } from "@/ui/Notice";
import { useToast } from "@/ui/toast-context";
import { KIND_LABELS, cancelJob, downloadResult, useJob } from "./api";
import type { ImportResult } from "./api";

const STATUS = {
  queued: { tone: "neutral", label: "Waiting" },
  running: { tone: "accent", label: "Running" },
  succeeded: { tone: "good", label: "Done" },
  failed: { tone: "bad", label: "Failed" },
  cancelled: { tone: "neutral", label: "Cancelled" },
} as const;

export function JobStatus({ job }: { job: Job }) {
  const status = STATUS[job.status];
  return <Badge tone={status.tone}>{status.label}</Badge>;
}

export function Progress({ value, label }: { value: number; label: string }) {
  return (
    <div className="h-2 w-full overflow-hidden rounded-full bg-raised" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={value} aria-label={label}>
      <div className="h-full rounded-full bg-accent transition-[width] duration-500" style={{ width: `${value}%` }} />
    </div>
  );
}

function ImportSummary({ result }: { result: ImportResult }) {
  const figures: [string, number][] = [
    ["Rows", result.rows],
    [result.dry_run ? "Would create" : "Created", result.created],
    [result.dry_run ? "Would update" : "Updated", result.updated],
    ["Unchanged", result.unchanged],
    ["Skipped (errors)", result.skipped],
  ];
  return (
    <div className="space-y-4">
      {result.dry_run ? <Notice>This was a check only: nothing was written. Import the file to apply it.</Notice> : null}
      <dl className="grid grid-cols-3 gap-3 sm:grid-cols-5">
        {figures.map(([label, value]) => (
          <div key={label}>
            <dt className="text-xs text-muted">{label}</dt>
            <dd className="num text-lg font-semibold">{value.toLocaleString()}</dd>
          </div>
        ))}
      </dl>
      {result.errors.length ? (
        <div>
          <h4 className="mb-2 text-sm font-semibold text-bad">
            {result.error_count.toLocaleString()} row error{result.error_count === 1 ? "" : "s"}
            {result.errors_truncated ? ` (the first ${result.errors.length} shown)` : ""} — fix them in the file and import it again
          </h4>
          <div className="max-h-72 overflow-y-auto rounded-lg border border-line" tabIndex={0} role="region" aria-label="Row errors, scrollable">
            <Table label="Row errors">
              <thead className="sticky top-0 bg-surface">
                <tr>
                  <Th align="right">Row</Th>
                  <Th>Column</Th>
                  <Th>Problem</Th>
                </tr>
              </thead>
              <tbody>
                {result.errors.map((e, i) => (
                  <tr key={`${e.row}-${e.column}-${i}`}>
                    <Td align="right">{e.row}</Td>
                    <Td className="font-mono text-xs">{e.column ?? "—"}</Td>
                    <Td>{e.message}</Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </div>
        </div>
      ) : null}
    </div>
  );
}

/** One job with its live progress; imports show their row errors, exports a download. */
export function JobCard({ id, onClose }: { id: string; onClose?: () => void }) {
  const { data: job } = useJob(id);
  const toast = useToast();
  const download = useMutation({ mutationFn: downloadResult, onError: (e) => toast({ tone: "bad", title: "Download failed", body: describeError(e) }) });
  const cancel = useMutation({ mutationFn: cancelJob, onError: (e) => toast({ tone: "bad", title: "Could not cancel", body: describeError(e) }) });
  if (!job) return null;
  const active = job.status === "queued" || job.status === "running";
  const result = job.result as ImportResult | null;
  return (
    <section aria-label={KIND_LABELS[job.kind] ?? job.kind} className="space-y-4 rounded-xl border border-line bg-surface p-4" data-testid="job-card" data-status={job.status}>
      <div className="flex flex-wrap items-center gap-3">
        <h3 className="font-semibold">{KIND_LABELS[job.kind] ?? job.kind}</h3>
        <JobStatus job={job} />
        <span className="text-xs text-muted" title={formatDateTime(job.created_at)}>started {formatRelative(job.created_at)}</span>
        <span className="flex-1" />
        {active ? <Button size="sm" onClick={() => cancel.mutate(job.id)} loading={cancel.isPending}>Cancel</Button> : null}
        {onClose ? (
          <button type="button" onClick={onClose} aria-label="Close" className="rounded p-1 text-muted hover:bg-raised">
            <X className="size-4" aria-hidden />
          </button>
        ) : null}
      </div>
      {active ? (
        <div className="space-y-1">
          <Progress value={job.progress} label="Progress" />
          <p className="num text-xs text-muted" aria-live="polite">{job.progress}%</p>
        </div>
      ) : null}
      {job.status === "failed" && job.error ? <Notice tone="bad" title="The job failed">{job.error}</Notice> : null}
      {job.kind === "product_import" && result && "rows" in result ? <ImportSummary result={result} /> : null}
      {job.status === "succeeded" && job.result_url ? (
        <Button variant="primary" icon={<Download className="size-4" aria-hidden />} loading={download.isPending} onClick={() => download.mutate(job)}>
          Download CSV
        </Button>
      ) : null}
    </section>
  );
}
