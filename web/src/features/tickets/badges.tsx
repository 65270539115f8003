import { AlarmClock, ArrowDown, ArrowUp, Flame, Minus, PauseCircle } from "lucide-react";
import { formatDateTime, formatTime } from "@/lib/format";
import { Badge } from "@/ui/layout";
import type { Ticket } from "./api";
import type { Priority, TicketStatus } from "./filters";

type Tone = "neutral" | "accent" | "good" | "warn" | "bad";

export const STATUS_LABELS: Record<TicketStatus, string> = {
  new: "New",
  open: "Open",
  pending: "Pending",
  resolved: "Resolved",
  closed: "Closed",
};
const STATUS_TONES: Record<TicketStatus, Tone> = { new: "accent", open: "accent", pending: "neutral", resolved: "good", closed: "neutral" };

export function StatusChip({ status }: { status: TicketStatus }) {
  return <Badge tone={STATUS_TONES[status]}>{STATUS_LABELS[status]}</Badge>;
}

export const PRIORITY_LABELS: Record<Priority, string> = { urgent: "Urgent", high: "High", normal: "Normal", low: "Low" };
const PRIORITY_TONES: Record<Priority, Tone> = { urgent: "bad", high: "warn", normal: "neutral", low: "neutral" };
const PRIORITY_ICONS: Record<Priority, typeof Flame> = { urgent: Flame, high: ArrowUp, normal: Minus, low: ArrowDown };

export function PriorityChip({ priority }: { priority: Priority }) {
  const Icon = PRIORITY_ICONS[priority];
  return (
    <Badge tone={PRIORITY_TONES[priority]}>
      <Icon className="size-3" aria-hidden />
      {PRIORITY_LABELS[priority]}
    </Badge>
  );
}

/** The clock that runs now: first response until answered, then resolution. */
export function nextDue(sla: Ticket["sla"]): { label: string; at: string } | null {
  if (!sla.first_responded_at && sla.first_response_due_at) return { label: "First response", at: sla.first_response_due_at };
  if (!sla.resolved_at && sla.resolution_due_at) return { label: "Resolution", at: sla.resolution_due_at };
  return null;
}

function dueText(at: string, now = Date.now()): string {
  const sameDay = new Date(at).toDateString() === new Date(now).toDateString();
  return sameDay ? formatTime(at) : formatDateTime(at);
}

/** Breached, due soon (with the time), paused; a running clock with time left is quiet. */
export function SlaBadge({ sla, quiet = false }: { sla: Ticket["sla"]; quiet?: boolean }) {
  const due = nextDue(sla);
  if (sla.state === "breached") {
    return (
      <Badge tone="bad">
        <AlarmClock className="size-3" aria-hidden />
        SLA breached{due ? ` · was due ${dueText(due.at)}` : ""}
      </Badge>
    );
  }
  if (sla.state === "due_soon" && due) {
    return (
      <Badge tone="warn">
        <AlarmClock className="size-3" aria-hidden />
        Due {dueText(due.at)}
      </Badge>
    );
  }
  if (sla.state === "paused") {
    return (
      <Badge>
        <PauseCircle className="size-3" aria-hidden />
        SLA paused
      </Badge>
    );
  }
  if (quiet || sla.state !== "ok" || !due) return null;
  return <span className="text-xs text-muted">Due {dueText(due.at)}</span>;
}
