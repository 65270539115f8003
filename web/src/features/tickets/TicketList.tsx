import { Inbox, UserRound } from "lucide-react";
import { useMemo, useRef } from "react";
import { Link } from "react-router";
import { formatRelative } from "@/lib/format";
import { Button } from "@/ui/Button";
import { EmptyState, Skeleton } from "@/ui/layout";
import { ErrorNotice } from "@/ui/Notice";
import { useTicketPages } from "./api";
import { PriorityChip, SlaBadge, StatusChip } from "./badges";
import { useDeskNames } from "./desk";
import { isFiltered } from "./filters";
import type { TicketFilters } from "./filters";
import { useListKeys } from "./useListKeys";

/** The queue: one row per ticket (a link), j/k to move, Enter to open, pages on demand. */
export function TicketList({ filters, emptyAction }: { filters: TicketFilters; emptyAction?: React.ReactNode }) {
  const query = useTicketPages(filters);
  const { agentName, teamName } = useDeskNames();
  const tickets = useMemo(() => query.data?.pages.flatMap((p) => p.items) ?? [], [query.data]);
  const list = useRef<HTMLUListElement>(null);
  useListKeys(list);

  if (query.error && !tickets.length) return <ErrorNotice error={query.error} title="Tickets could not be loaded" />;
  if (!query.data) {
    return (
      <div className="space-y-2 p-4" aria-busy="true" aria-label="Loading tickets">
        {[0, 1, 2, 3].map((i) => (
          <Skeleton key={i} className="h-12 w-full" />
        ))}
      </div>
    );
  }
  if (!tickets.length) {
    return (
      <EmptyState icon={<Inbox />} title={isFiltered(filters) ? "No ticket matches" : "No tickets to work on"} action={emptyAction}>
        {isFiltered(filters) ? "Try fewer words or clear a filter." : "New tickets appear here as they arrive, by e-mail or from the form."}
      </EmptyState>
    );
  }

  return (
    <div className="text-sm">
      <ul ref={list} aria-label="Tickets" className="divide-y divide-line">
        {tickets.map((ticket) => (
          <li key={ticket.id} data-testid={`ticket-row-${ticket.key}`}>
            <Link
              to={`/tickets/${ticket.id}`}
              data-row-link
              className="grid grid-cols-[minmax(0,1fr)_auto] items-center gap-x-3 gap-y-1.5 px-4 py-3 hover:bg-raised focus:bg-accent-soft focus:outline-none md:grid-cols-[5.5rem_minmax(0,1fr)_auto_auto_7rem] md:gap-x-4"
            >
              <span className="hidden font-mono text-xs text-muted md:block">{ticket.key}</span>
              <span className="col-span-2 min-w-0 md:col-span-1">
                <span className="block truncate font-medium">{ticket.subject}</span>
                <span className="block truncate text-xs text-muted">
                  <span className="font-mono md:hidden">{ticket.key} · </span>
                  {ticket.requester.name || ticket.requester.email}
                  {ticket.team_id ? ` · ${teamName(ticket.team_id)}` : ""}
                  {ticket.tags.length ? ` · ${ticket.tags.map((t) => `#${t}`).join(" ")}` : ""}
                </span>
              </span>
              <span className="flex flex-wrap items-center gap-1.5 md:justify-end">
                <SlaBadge sla={ticket.sla} />
                <PriorityChip priority={ticket.priority} />
                <StatusChip status={ticket.status} />
              </span>
              <span className="flex items-center justify-end gap-1 text-xs text-muted md:w-36 md:justify-start">
                <UserRound className="size-3.5 shrink-0" aria-hidden />
                <span className="truncate">{agentName(ticket.assignee_id) ?? "Unassigned"}</span>
              </span>
              <span className="hidden text-right text-xs text-muted md:block" title={ticket.created_at}>
                {formatRelative(ticket.created_at)}
              </span>
            </Link>
          </li>
        ))}
      </ul>
      <div className="flex items-center justify-between gap-3 border-t border-line px-4 py-2 text-xs text-muted">
        <p aria-live="polite">
          {tickets.length.toLocaleString()} {tickets.length === 1 ? "ticket" : "tickets"}
          {query.hasNextPage ? " shown" : ""}
        </p>
        {query.hasNextPage ? (
          <Button size="sm" loading={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
            Load more
          </Button>
        ) : null}
      </div>
    </div>
  );
}
