import { Star } from "lucide-react";
import { formatDateTime } from "@/lib/format";
import { Card, CardHeader } from "@/ui/layout";
import { useTicketCsat } from "./api";
import type { TicketDetail } from "./api";

function Stars({ score }: { score: number }) {
  return (
    <span className="inline-flex" role="img" aria-label={`${score} of 5`}>
      {[1, 2, 3, 4, 5].map((n) => (
        <Star key={n} className={`size-4 ${n <= score ? "fill-warn text-warn" : "text-line"}`} aria-hidden />
      ))}
    </span>
  );
}

/** The requester's rating, once the ticket was resolved. */
export function CsatCard({ ticket }: { ticket: TicketDetail }) {
  const asked = ticket.status === "resolved" || ticket.status === "closed" || !!ticket.sla.resolved_at;
  const { data } = useTicketCsat(ticket.id, asked);
  if (!asked || !data?.length) return null;
  const latest = data[data.length - 1]!;
  return (
    <Card data-testid="csat-card">
      <CardHeader title="Satisfaction" />
      <div className="space-y-1 p-4 text-sm">
        {latest.score ? (
          <>
            <Stars score={latest.score} />
            {latest.comment ? <p className="italic">“{latest.comment}”</p> : null}
            <p className="text-xs text-muted">Rated {formatDateTime(latest.answered_at)}</p>
          </>
        ) : (
          <p className="text-muted">Rating requested {formatDateTime(latest.created_at)}; no answer yet.</p>
        )}
      </div>
    </Card>
  );
}
