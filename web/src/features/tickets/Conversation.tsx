import { Lock, Mail, Paperclip } from "lucide-react";
import { cn } from "@/lib/cn";
import { formatDateTime, formatRelative } from "@/lib/format";
import { Skeleton } from "@/ui/layout";
import { ErrorNotice } from "@/ui/Notice";
import type { Attachment, Comment, TicketDetail } from "./api";
import { useComments } from "./api";
import { useDeskNames } from "./desk";
import { FileButton } from "./Attachments";

/** Markdown rendered and sanitised by the server (body_html, description_html). */
function Rendered({ html }: { html: string }) {
  return <div className="prose-qm break-words text-sm leading-relaxed" dangerouslySetInnerHTML={{ __html: html }} />;
}

function Files({ files }: { files: Attachment[] }) {
  if (!files.length) return null;
  return (
    <ul className="mt-2 flex flex-wrap gap-2" aria-label="Files">
      {files.map((file) => (
        <li key={file.id}>
          <FileButton file={file} />
        </li>
      ))}
    </ul>
  );
}

function Message({ comment, author }: { comment: Comment; author: string }) {
  const internal = comment.internal;
  const system = comment.author_kind === "system";
  return (
    <li
      data-testid={internal ? "internal-note" : "public-reply"}
      className={cn(
        "rounded-xl border px-4 py-3",
        internal ? "border-warn/40 bg-warn-soft/70" : comment.author_kind === "requester" ? "border-line bg-surface" : "border-line bg-raised/60",
        system && "border-dashed bg-transparent text-muted",
      )}
    >
      <div className="mb-1.5 flex flex-wrap items-center gap-x-2 gap-y-1 text-xs text-muted">
        {internal ? (
          <span className="inline-flex items-center gap-1 rounded-full bg-warn/15 px-2 py-0.5 font-semibold text-warn">
            <Lock className="size-3" aria-hidden />
            Internal note
          </span>
        ) : null}
        <span className="font-medium text-ink">{author}</span>
        {comment.channel === "email" ? <Mail className="size-3.5" aria-label="by e-mail" /> : null}
        <time dateTime={comment.created_at} title={formatDateTime(comment.created_at)}>
          {formatRelative(comment.created_at)}
        </time>
      </div>
      <Rendered html={comment.body_html} />
      <Files files={comment.attachments} />
    </li>
  );
}

/** The conversation, oldest first: the request, then replies (white) and internal notes
 * (tinted, labelled) — never confused with each other. */
export function Conversation({ ticket }: { ticket: TicketDetail }) {
  const { data: comments, error } = useComments(ticket.id);
  const { agentName } = useDeskNames();
  const requester = ticket.requester.name || ticket.requester.email;
  const authorOf = (c: Comment) =>
    c.author_kind === "requester" ? requester : c.author_kind === "system" ? "Quartermaster" : (agentName(c.author_user_id) ?? "An agent");

  return (
    <section aria-label="Conversation" className="space-y-3">
      <article className="rounded-xl border border-line bg-surface px-4 py-3">
        <div className="mb-1.5 flex flex-wrap items-center gap-2 text-xs text-muted">
          <span className="font-medium text-ink">{requester}</span>
          <span>{ticket.requester.email !== requester ? ticket.requester.email : null}</span>
          <time dateTime={ticket.created_at} title={formatDateTime(ticket.created_at)}>
            {formatRelative(ticket.created_at)}
          </time>
          {ticket.channel === "email" ? (
            <span className="inline-flex items-center gap-1">
              <Mail className="size-3.5" aria-hidden />
              by e-mail
            </span>
          ) : null}
        </div>
        {ticket.description.trim() ? <Rendered html={ticket.description_html} /> : <p className="text-sm text-muted">No description.</p>}
      </article>
      {error ? <ErrorNotice error={error} title="The conversation could not be loaded" /> : null}
      {!comments && !error ? <Skeleton className="h-24" /> : null}
      {comments?.length ? (
        <ol className="space-y-3" aria-label="Replies and notes">
          {comments.map((comment) => (
            <Message key={comment.id} comment={comment} author={authorOf(comment)} />
          ))}
        </ol>
      ) : null}
      {comments && !comments.length ? (
        <p className="flex items-center gap-2 px-1 text-sm text-muted">
          <Paperclip className="size-4" aria-hidden /> No replies yet — the requester is waiting for the first one.
        </p>
      ) : null}
    </section>
  );
}
