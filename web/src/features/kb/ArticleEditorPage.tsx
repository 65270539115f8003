import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate, useParams } from "react-router";
import { ApiError } from "@/api/problem";
import { useCan } from "@/auth/context";
import { Button } from "@/ui/Button";
import { Card, PageHeader, Skeleton } from "@/ui/layout";
import { ErrorNotice, Notice } from "@/ui/Notice";
import { useToast } from "@/ui/toast-context";
import { createArticle, updateArticle, useArticle } from "./api";
import { ArticleForm, changesOf, splitTags } from "./ArticleForm";
import type { ArticleValues } from "./ArticleForm";
import { CompareDialog } from "./CompareDialog";
import type { Article, ArticleStatus } from "./contract";
import { kbKeys } from "./keys";
import { STATUS_DONE, statusActions } from "./status";

/** The revision the server says is current, from a 412's problem body. */
function currentRevision(error: ApiError): number | null {
  const value = error.problem.current_revision;
  return typeof value === "number" ? value : null;
}

/** /kb/new and /kb/:articleId/edit. Editing keeps the revision it was opened with: a save
 * over someone else's is refused (412) and explained, and what was typed stays. */
export default function ArticleEditorPage() {
  const { articleId } = useParams();
  const { data: latest, error, refetch } = useArticle(articleId);
  const [base, setBase] = useState<Article | null>(null);
  const [conflict, setConflict] = useState<{ revision: number | null } | null>(null);
  const [comparing, setComparing] = useState(false);
  const canPublish = useCan("knowledge:publish");
  const navigate = useNavigate();
  const client = useQueryClient();
  const toast = useToast();

  // The revision the form was opened with (set once, during render: derived state).
  if (latest && !base) setBase(latest);

  if (articleId && error) return <ErrorNotice error={error} title="This article could not be loaded" />;
  if (articleId && (!base || !latest)) return <Skeleton className="h-96" />;

  const saved = (article: Article, message: string) => {
    client.setQueryData(kbKeys.detail(article.id), article);
    void client.invalidateQueries({ queryKey: kbKeys.lists() });
    void client.invalidateQueries({ queryKey: kbKeys.revisions(article.id), exact: true });
    void client.invalidateQueries({ queryKey: kbKeys.collections() });
    toast({ tone: "good", title: message });
    navigate(`/kb/${article.id}`);
  };

  const create = async (values: ArticleValues) => {
    const article = await createArticle({
      title: values.title,
      body: values.body,
      collection_id: values.collection_id || null,
      tags: splitTags(values.tags),
      visibility: values.visibility,
      note: values.note.trim() || null,
    });
    saved(article, `Saved "${article.title}" as a draft`);
  };

  const update = async (values: ArticleValues, dirty: Set<string>, status?: ArticleStatus) => {
    if (!base) return;
    const body = changesOf(values, dirty);
    if (status) body.status = status;
    if (!Object.keys(body).length) {
      navigate(`/kb/${base.id}`);
      return;
    }
    try {
      const article = await updateArticle(base, body);
      saved(article, status ? `${STATUS_DONE[status]} — revision ${article.revision}` : `Saved revision ${article.revision}`);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 412) {
        setConflict({ revision: currentRevision(failure) });
        return;
      }
      throw failure;
    }
  };

  const reload = async () => {
    const fresh = await refetch();
    if (fresh.data) setBase(fresh.data);
    setConflict(null);
  };

  const now = conflict?.revision ?? (latest && base && latest.revision !== base.revision ? latest.revision : null);
  const notice =
    base && (conflict || now !== null) ? (
      <Notice
        tone={conflict ? "bad" : "warn"}
        title={conflict ? `Not saved: changed by someone else${now !== null ? ` (now revision ${now})` : ""}` : `Changed by someone else (now revision ${now})`}
        action={
          <div className="flex shrink-0 flex-wrap gap-2">
            {now !== null ? <Button size="sm" onClick={() => setComparing(true)}>Compare</Button> : null}
            <Button size="sm" onClick={() => void reload()}>Reload</Button>
          </div>
        }
      >
        You opened revision {base.revision}. Reload to take their version — the fields you edited keep your text — or compare the two first; then save again.
      </Notice>
    ) : null;

  return (
    <>
      <PageHeader title={base ? `Edit: ${base.title}` : "New article"} description={base ? `Revision ${base.revision}` : "Saved as a draft; publish when it is ready."} />
      <Card className="p-4 sm:p-5">
        <ArticleForm
          article={base ?? undefined}
          submitLabel={base ? "Save" : "Save draft"}
          onSubmit={base ? update : create}
          onCancel={() => navigate(base ? `/kb/${base.id}` : "/kb")}
          statusActions={base && canPublish ? statusActions(base.status) : []}
          notice={notice}
        />
      </Card>
      {base && now !== null ? <CompareDialog open={comparing} articleId={base.id} from={base.revision} to={now} onClose={() => setComparing(false)} /> : null}
    </>
  );
}
