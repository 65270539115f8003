import { useQueryClient } from "@tanstack/react-query";
import { ExternalLink, History, Pencil, Trash2 } from "lucide-react";
import { useState } from "react";
import type { ReactNode } from "react";
import { Link, useNavigate, useParams } from "react-router";
import type { Permission } from "@/api/client";
import { ApiError, describeError } from "@/api/problem";
import { useAuth } from "@/auth/context";
import { formatDateTime, formatRelative } from "@/lib/format";
import { Button, ButtonLink } from "@/ui/Button";
import { Dialog } from "@/ui/Dialog";
import { Card, PageHeader, Skeleton } from "@/ui/layout";
import { ErrorNotice } from "@/ui/Notice";
import { useToast } from "@/ui/toast-context";
import { deleteArticle, updateArticle, useArticle, useCollections } from "./api";
import type { Article, ArticleStatus } from "./contract";
import { kbKeys } from "./keys";
import { ServerHtml, StatusBadge, VisibilityBadge } from "./parts";
import { STATUS_DONE, statusActions } from "./status";

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium uppercase tracking-wide text-muted">{label}</dt>
      <dd className="mt-0.5 break-words text-sm">{children}</dd>
    </div>
  );
}

/** Publish, unpublish, archive: one click, one new revision. */
function StatusButtons({ article }: { article: Article }) {
  const client = useQueryClient();
  const toast = useToast();
  const [busy, setBusy] = useState<ArticleStatus | null>(null);
  const move = async (status: ArticleStatus) => {
    setBusy(status);
    try {
      const saved = await updateArticle(article, { status });
      client.setQueryData(kbKeys.detail(saved.id), saved);
      void client.invalidateQueries({ queryKey: kbKeys.lists() });
      void client.invalidateQueries({ queryKey: kbKeys.revisions(saved.id), exact: true });
      toast({ tone: "good", title: `${STATUS_DONE[status]} — revision ${saved.revision}` });
    } catch (failure) {
      const stale = failure instanceof ApiError && failure.status === 412;
      if (stale) void client.invalidateQueries({ queryKey: kbKeys.detail(article.id) });
      toast({ tone: "bad", title: stale ? "Changed by someone else — showing their version now" : describeError(failure) });
    } finally {
      setBusy(null);
    }
  };
  return statusActions(article.status).map((action) => (
    <Button key={action.status} variant={action.status === "published" ? "primary" : "secondary"} loading={busy === action.status} disabled={busy !== null} onClick={() => void move(action.status)}>
      {action.label}
    </Button>
  ));
}

/** Who may delete: writers delete drafts and archived articles; a published one also
 * needs knowledge:publish (the server answers 403 otherwise). */
function canDelete(article: Pick<Article, "status">, can: (permission: Permission) => boolean): boolean {
  return can("knowledge:write") && (article.status !== "published" || can("knowledge:publish"));
}

/** Delete, after a confirmation that names the article; back to the list once gone. */
function DeleteButton({ article }: { article: Article }) {
  const client = useQueryClient();
  const toast = useToast();
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const remove = async () => {
    setBusy(true);
    try {
      await deleteArticle(article);
      client.removeQueries({ queryKey: kbKeys.detail(article.id) });
      void client.invalidateQueries({ queryKey: kbKeys.lists() });
      void client.invalidateQueries({ queryKey: kbKeys.collections() });
      toast({ tone: "good", title: `Deleted “${article.title}”` });
      navigate("/kb");
    } catch (failure) {
      const stale = failure instanceof ApiError && failure.status === 412;
      if (stale) void client.invalidateQueries({ queryKey: kbKeys.detail(article.id) });
      toast({ tone: "bad", title: stale ? "Changed by someone else — showing their version now; nothing was deleted" : describeError(failure) });
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button variant="danger" icon={<Trash2 className="size-4" aria-hidden />} onClick={() => setConfirming(true)}>
        Delete
      </Button>
      <Dialog
        open={confirming}
        onClose={() => setConfirming(false)}
        title={`Delete “${article.title}”?`}
        description="The article and all its revisions are deleted for good."
        footer={
          <>
            <Button onClick={() => setConfirming(false)}>Keep</Button>
            <Button variant="danger" loading={busy} onClick={() => void remove()}>
              Delete article
            </Button>
          </>
        }
      >
        <p className="text-sm">
          {article.status === "published" ? "It disappears from search and, if public, from the help centre at once." : "Its history cannot be restored afterwards."}
        </p>
      </Dialog>
    </>
  );
}

export default function ArticlePage() {
  const { articleId = "" } = useParams();
  const { data: article, error } = useArticle(articleId);
  const { data: collections } = useCollections();
  const { can, me } = useAuth();

  if (error) return <ErrorNotice error={error} title="This article could not be loaded" />;
  if (!article) return <Skeleton className="h-96" />;
  const collection = collections?.find((c) => c.id === article.collection_id);
  const inHelpCentre = article.status === "published" && article.visibility === "public" && me?.tenant.slug;

  return (
    <>
      <PageHeader
        title={article.title}
        description={
          <span className="flex flex-wrap items-center gap-2">
            <StatusBadge status={article.status} />
            <VisibilityBadge visibility={article.visibility} />
            <span>
              Revision {article.revision} · updated {formatRelative(article.updated_at)}
            </span>
          </span>
        }
        actions={
          <>
            <ButtonLink to={`/kb/${article.id}/history`} icon={<History className="size-4" aria-hidden />}>History</ButtonLink>
            {can("knowledge:publish") ? <StatusButtons article={article} /> : null}
            {can("knowledge:write") ? (
              <ButtonLink to={`/kb/${article.id}/edit`} variant={article.status === "draft" && can("knowledge:publish") ? "secondary" : "primary"} icon={<Pencil className="size-4" aria-hidden />}>
                Edit
              </ButtonLink>
            ) : null}
            {canDelete(article, can) ? <DeleteButton article={article} /> : null}
          </>
        }
      />
      <div className="grid gap-4 lg:grid-cols-[minmax(0,1fr)_16rem]">
        <Card className="p-5 sm:p-8">
          {article.body.trim() ? <ServerHtml html={article.body_html} className="max-w-3xl" /> : <p className="text-muted">This article has no text yet.</p>}
        </Card>
        <Card className="self-start p-4">
          <dl className="grid grid-cols-2 gap-4 lg:grid-cols-1">
            <Fact label="Author">{article.author_name ?? "—"}</Fact>
            <Fact label="Updated">
              <span title={formatDateTime(article.updated_at)}>{formatDateTime(article.updated_at)}</span>
            </Fact>
            <Fact label="Published">{article.published_at ? formatDateTime(article.published_at) : "Not yet"}</Fact>
            <Fact label="Collection">
              {collection ? <Link className="text-accent-strong hover:underline" to={`/kb?collection=${collection.id}`}>{collection.name}</Link> : "None"}
            </Fact>
            <Fact label="Tags">
              {article.tags.length
                ? article.tags.map((tag) => (
                    <Link key={tag} to={`/kb?tag=${encodeURIComponent(tag)}`} className="mr-1.5 font-mono text-xs text-accent-strong hover:underline">
                      #{tag}
                    </Link>
                  ))
                : "None"}
            </Fact>
            <Fact label="Address">
              <span className="font-mono text-xs">{article.slug}</span>
            </Fact>
          </dl>
          {inHelpCentre ? (
            <a href={`/help/${me.tenant.slug}/${article.slug}`} target="_blank" rel="noopener" className="mt-4 inline-flex items-center gap-1 text-sm font-medium text-accent-strong hover:underline">
              View in the help centre
              <ExternalLink className="size-3.5" aria-hidden />
            </a>
          ) : null}
        </Card>
      </div>
    </>
  );
}
