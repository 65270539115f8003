import { CheckCircle2, Clock, PauseCircle, TimerOff } from "lucide-react";
import type { ReactNode } from "react";
import { formatDateTime, formatRelative } from "@/lib/format";
import { useNow } from "@/lib/useNow";
import { Card, CardHeader } from "@/ui/layout";
import type { Ticket } from "./api";

function Clock1({ label, due, done, paused, breached, now }: { label: string; due: string | null; done: string | null; paused: boolean; breached: boolean; now: number }) {
  let state: ReactNode;
  let icon: ReactNode;
  if (!due) {
    state = <span className="text-muted">No target</span>;
    icon = <Clock className="size-4 text-muted" aria-hidden />;
  } else if (done) {
    const late = new Date(done) > new Date(due);
    state = (
      <span className={late ? "text-bad" : "text-good"}>
        {late ? "Late" : "Met"} · {formatDateTime(done)}
      </span>
    );
    icon = <CheckCircle2 className={`size-4 ${late ? "text-bad" : "text-good"}`} aria-hidden />;
  } else if (paused) {
    state = <span className="text-muted">Paused while pending</span>;
    icon = <PauseCircle className="size-4 text-muted" aria-hidden />;
  } else {
    const overdue = new Date(due).getTime() < now || breached;
    state = (
      <span className={overdue ? "font-medium text-bad" : ""}>
        Due {formatDateTime(due)} <span className="text-muted">({formatRelative(due, now)})</span>
      </span>
    );
    icon = overdue ? <TimerOff className="size-4 text-bad" aria-hidden /> : <Clock className="size-4 text-accent" aria-hidden />;
  }
  return (
    <div className="flex items-start gap-2.5 px-4 py-2.5 text-sm">
      <span className="mt-0.5">{icon}</span>
      <div className="min-w-0">
        <p className="text-xs font-medium uppercase tracking-wide text-muted">{label}</p>
        <p>{state}</p>
      </div>
    </div>
  );
}

/** First response and resolution: due, met (or late), paused while pending. */
export function SlaClocks({ sla }: { sla: Ticket["sla"] }) {
  const paused = sla.state === "paused" || !!sla.paused_since;
  const now = useNow();
  return (
    <Card data-testid="sla-clocks">
      <CardHeader
        title="SLA"
        description={sla.breached_at ? <span className="text-bad">Breached {formatDateTime(sla.breached_at)}</span> : sla.policy_id ? undefined : "No SLA policy applies."}
      />
      <div className="divide-y divide-line">
        <Clock1 label="First response" due={sla.first_response_due_at} done={sla.first_responded_at} paused={paused} breached={!!sla.breached_at} now={now} />
        <Clock1 label="Resolution" due={sla.resolution_due_at} done={sla.resolved_at} paused={paused} breached={!!sla.breached_at} now={now} />
      </div>
    </Card>
  );
}
