import { useQueryClient } from "@tanstack/react-query";
import { ArrowLeft, History, RotateCcw } from "lucide-react";
import { useState } from "react";
import { useParams, useSearchParams } from "react-router";
import { ApiError, describeError } from "@/api/problem";
import { useCan } from "@/auth/context";
import { cn } from "@/lib/cn";
import { formatDateTime, formatRelative } from "@/lib/format";
import { Button, ButtonLink } from "@/ui/Button";
import { Badge, Card, CardHeader, EmptyState, PageHeader, Skeleton } from "@/ui/layout";
import { ErrorNotice } from "@/ui/Notice";
import { useToast } from "@/ui/toast-context";
import { restoreRevision, useArticle, useDiff, useRevisions } from "./api";
import type { RevisionSummary } from "./contract";
import { DiffView } from "./DiffView";
import { kbKeys } from "./keys";

const CHANGED: Record<string, string> = { title: "title", body: "text", tags: "tags", collection: "collection", visibility: "visibility", status: "status", slug: "address" };

function pick(value: string | null): number | null {
  const n = Number(value);
  return value && Number.isInteger(n) && n > 0 ? n : null;
}

/** Every revision of an article: who, when, why, what changed; any two compared; restore. */
export default function HistoryPage() {
  const { articleId = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const { data: article, error: articleError } = useArticle(articleId);
  const { data: revisions, error } = useRevisions(articleId);
  const canWrite = useCan("knowledge:write");
  const client = useQueryClient();
  const toast = useToast();
  const [restoring, setRestoring] = useState<number | null>(null);

  const newest = revisions?.[0]?.number ?? null;
  const to = pick(params.get("to")) ?? newest;
  const from = pick(params.get("from")) ?? revisions?.find((r) => to !== null && r.number < to)?.number ?? null;
  const diff = useDiff(articleId, from, to);
  const choose = (which: "from" | "to", n: number) => {
    const next = new URLSearchParams(params);
    next.set(which, String(n));
    if (which === "to" && from === null) next.set("from", String(Math.max(1, n - 1)));
    setParams(next, { replace: true });
  };

  const restore = async (revision: RevisionSummary) => {
    if (!article) return;
    setRestoring(revision.number);
    try {
      const restored = await restoreRevision(article, revision.number);
      client.setQueryData(kbKeys.detail(restored.id), restored);
      await client.invalidateQueries({ queryKey: kbKeys.revisions(restored.id), exact: true });
      void client.invalidateQueries({ queryKey: kbKeys.lists() });
      setParams({ from: String(article.revision), to: String(restored.revision) }, { replace: true });
      toast({ tone: "good", title: `Restored revision ${revision.number} as revision ${restored.revision}` });
    } catch (failure) {
      const stale = failure instanceof ApiError && failure.status === 412;
      if (stale) void client.invalidateQueries({ queryKey: kbKeys.detail(articleId) });
      toast({ tone: "bad", title: stale ? "Not restored: changed by someone else" : "Not restored", body: stale ? "The article has a newer revision now; look at it, then restore again." : describeError(failure) });
    } finally {
      setRestoring(null);
    }
  };

  if (articleError) return <ErrorNotice error={articleError} title="This article could not be loaded" />;
  return (
    <>
      <PageHeader
        title={article ? `History: ${article.title}` : "History"}
        description="Every save is a revision. Pick two to compare; restoring makes a new revision."
        actions={<ButtonLink to={`/kb/${articleId}`} icon={<ArrowLeft className="size-4" aria-hidden />}>Back to the article</ButtonLink>}
      />
      <div className="grid gap-4 lg:grid-cols-[minmax(0,24rem)_minmax(0,1fr)]">
        <Card className="self-start">
          <CardHeader title="Revisions" description="Newest first" />
          {error ? <div className="p-4"><ErrorNotice error={error} title="The revisions could not be loaded" /></div> : null}
          {!revisions && !error ? <Skeleton className="m-4 h-40" /> : null}
          <ol aria-label="Revisions" className="divide-y divide-line">
            {(revisions ?? []).map((revision) => (
              <li key={revision.number} className={cn("flex gap-3 px-4 py-3", (revision.number === from || revision.number === to) && "bg-raised/60")}>
                <div className="flex flex-col gap-1.5 pt-0.5 text-xs text-muted">
                  <label className="flex items-center gap-1.5">
                    <input type="radio" name="from" aria-label={`Compare from revision ${revision.number}`} checked={revision.number === from} onChange={() => choose("from", revision.number)} className="size-4 accent-[var(--qm-accent)]" />
                    From
                  </label>
                  <label className="flex items-center gap-1.5">
                    <input type="radio" name="to" aria-label={`Compare to revision ${revision.number}`} checked={revision.number === to} onChange={() => choose("to", revision.number)} className="size-4 accent-[var(--qm-accent)]" />
                    To
                  </label>
                </div>
                <div className="min-w-0 flex-1 text-sm">
                  <p className="flex flex-wrap items-center gap-2">
                    <span className="num font-semibold">Revision {revision.number}</span>
                    {revision.number === newest ? <Badge tone="accent">Current</Badge> : null}
                    {revision.restored_from ? <Badge>Restored from {revision.restored_from}</Badge> : null}
                  </p>
                  <p className="text-muted" title={formatDateTime(revision.created_at)}>
                    {revision.author_name ?? "Someone"} · {formatRelative(revision.created_at)}
                  </p>
                  {revision.note ? <p className="mt-1 break-words">“{revision.note}”</p> : null}
                  {revision.number === 1 ? (
                    <p className="mt-1 text-xs text-muted">Created</p>
                  ) : revision.changed.length ? (
                    <p className="mt-1 text-xs text-muted">Changed: {revision.changed.map((c) => CHANGED[c] ?? c).join(", ")}</p>
                  ) : null}
                </div>
                {canWrite && revision.number !== newest ? (
                  <Button size="sm" variant="ghost" className="self-start" aria-label={`Restore revision ${revision.number}`} loading={restoring === revision.number} disabled={restoring !== null || !article} onClick={() => void restore(revision)} icon={<RotateCcw className="size-4" aria-hidden />}>
                    Restore
                  </Button>
                ) : null}
              </li>
            ))}
          </ol>
        </Card>
        <Card className="self-start">
          <CardHeader title={from !== null && to !== null ? `Revision ${from} → ${to}` : "Changes"} description={diff.data?.title_changed ? "The title changed too." : undefined} />
          {from === null || to === null || from === to ? (
            <EmptyState icon={<History aria-hidden />} title={revisions?.length === 1 ? "Only one revision so far" : "Pick two revisions"}>
              {revisions?.length === 1 ? "Each save adds one; come back after the next edit." : "Choose a From and a To revision on the left."}
            </EmptyState>
          ) : diff.error ? (
            <div className="p-4"><ErrorNotice error={diff.error} title="The comparison could not be loaded" /></div>
          ) : diff.data ? (
            <DiffView lines={diff.data.lines} label={`Changes from revision ${from} to ${to}`} />
          ) : (
            <Skeleton className="m-4 h-40" />
          )}
        </Card>
      </div>
    </>
  );
}
