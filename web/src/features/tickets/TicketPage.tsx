import { useQueryClient } from "@tanstack/react-query";
import { ArrowLeft } from "lucide-react";
import { Link, useParams } from "react-router";
import { useCan } from "@/auth/context";
import { formatDateTime } from "@/lib/format";
import { Button } from "@/ui/Button";
import { Skeleton } from "@/ui/layout";
import { ErrorNotice, Notice } from "@/ui/Notice";
import { addComment, uploadAttachment, useTicket } from "./api";
import type { TicketDetail } from "./api";
import { AttachmentsCard } from "./Attachments";
import { PriorityChip, SlaBadge, StatusChip } from "./badges";
import { Composer } from "./Composer";
import type { ComposerSend } from "./Composer";
import { Conversation } from "./Conversation";
import { CsatCard } from "./CsatCard";
import { ticketKeys } from "./keys";
import { LinksCard } from "./LinksCard";
import { ProductsCard } from "./ProductsCard";
import { SlaClocks } from "./SlaClocks";
import { TicketFacts } from "./TicketFacts";
import { TransitionBar } from "./TransitionBar";
import { useTicketEdit } from "./useTicketEdit";

function Workspace({ ticket }: { ticket: TicketDetail }) {
  const canWrite = useCan("tickets:write");
  const edit = useTicketEdit(ticket);
  const client = useQueryClient();
  const closed = ticket.status === "closed";

  const send = async ({ body, internal, files }: ComposerSend) => {
    const comment = await addComment(ticket.id, body, internal);
    for (const file of files) await uploadAttachment(ticket.id, file, internal, comment.id);
    // Sent: the composer is free again; the conversation refetches in the background.
    void client.invalidateQueries({ queryKey: ticketKeys.comments(ticket.id) });
    void client.invalidateQueries({ queryKey: ticketKeys.detail(ticket.id) });
    if (files.length) void client.invalidateQueries({ queryKey: ticketKeys.attachments(ticket.id) });
    return comment;
  };

  return (
    <>
      <div className="mb-5 space-y-3">
        <Link to="/tickets" className="inline-flex items-center gap-1 text-sm text-muted hover:text-ink">
          <ArrowLeft className="size-4" aria-hidden /> Tickets
        </Link>
        <div className="flex flex-wrap items-start justify-between gap-3">
          <div className="min-w-0">
            <p className="font-mono text-sm text-muted">{ticket.key}</p>
            <h1 className="break-words text-2xl font-semibold tracking-tight">{ticket.subject}</h1>
            <div className="mt-2 flex flex-wrap items-center gap-2 text-sm">
              <StatusChip status={ticket.status} />
              <PriorityChip priority={ticket.priority} />
              <SlaBadge sla={ticket.sla} quiet />
              <span className="text-xs text-muted">Opened {formatDateTime(ticket.created_at)}</span>
            </div>
          </div>
          {canWrite ? <TransitionBar ticket={ticket} /> : null}
        </div>
        {edit.conflict ? (
          <Notice tone="bad" title="Not saved: changed by someone else" action={<Button size="sm" onClick={() => void edit.reload()}>Reload</Button>}>
            This ticket was changed after you opened it. Reload to see their version, then make your change again.
          </Notice>
        ) : null}
      </div>
      <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_22rem]">
        <div className="min-w-0 space-y-4">
          <Conversation ticket={ticket} />
          {canWrite && !closed ? <Composer onSend={send} requester={ticket.requester.name || ticket.requester.email} /> : null}
          {closed ? <Notice>This ticket is closed{ticket.merged_into_id ? " (merged)" : ""}: it can be read, not changed.</Notice> : null}
        </div>
        <aside className="min-w-0 space-y-4" aria-label="Ticket facts">
          <SlaClocks sla={ticket.sla} />
          <TicketFacts key={ticket.id} ticket={ticket} edit={edit} canWrite={canWrite} />
          <CsatCard ticket={ticket} />
          <ProductsCard ticket={ticket} edit={edit} canWrite={canWrite} />
          <AttachmentsCard ticketId={ticket.id} canWrite={canWrite} closed={closed} />
          <LinksCard ticket={ticket} canWrite={canWrite} />
        </aside>
      </div>
    </>
  );
}

export default function TicketPage() {
  const { ticketId = "" } = useParams();
  const { data: ticket, error, refetch } = useTicket(ticketId);
  if (error && !ticket) return <ErrorNotice error={error} title="This ticket could not be loaded" action={<Button size="sm" onClick={() => void refetch()}>Retry</Button>} />;
  if (!ticket) {
    return (
      <div className="space-y-4" aria-busy="true" aria-label="Loading">
        <Skeleton className="h-10 w-2/3" />
        <Skeleton className="h-64 w-full" />
      </div>
    );
  }
  return <Workspace ticket={ticket} />;
}
