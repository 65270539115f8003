import { CheckCircle2, Clock, RotateCcw, Trash2, TriangleAlert } from "lucide-react";
import { formatQuantity, formatTime } from "@/lib/format";
import { Button } from "@/ui/Button";
import { Badge, EmptyState } from "@/ui/layout";
import { removeCount } from "./queue";
import type { CountEntry } from "./queue";
import { useRetryCount } from "./useCountQueue";

function Adjustment({ entry }: { entry: CountEntry }) {
  const value = Number(entry.adjustment ?? "0");
  if (!value) return <span>no difference</span>;
  return (
    <span className="num">
      {value > 0 ? "+" : "−"}
      {formatQuantity(String(Math.abs(value)), entry.unit ?? undefined)} booked
    </span>
  );
}

/** Every line still on this device, newest first, with what happened to it. */
export function CountQueueList({ entries }: { entries: CountEntry[] }) {
  const retry = useRetryCount();
  if (!entries.length) return <EmptyState title="Nothing counted yet">Counted lines appear here until they are sent.</EmptyState>;
  return (
    <ul className="divide-y divide-line rounded-xl border border-line bg-surface" data-testid="count-queue">
      {[...entries].reverse().map((entry) => (
        <li key={entry.id} className="flex items-start gap-3 px-4 py-3 text-sm" data-state={entry.state}>
          <span className="mt-0.5">
            {entry.state === "synced" ? (
              <CheckCircle2 className="size-5 text-good" aria-hidden />
            ) : entry.state === "failed" ? (
              <TriangleAlert className="size-5 text-bad" aria-hidden />
            ) : (
              <Clock className="size-5 text-warn" aria-hidden />
            )}
          </span>
          <div className="min-w-0 flex-1">
            <p className="flex flex-wrap items-baseline gap-x-2">
              <span className="num font-semibold">{formatQuantity(entry.countedQuantity, entry.unit ?? undefined)}</span>
              <span className="truncate font-medium">{entry.name ?? entry.code}</span>
              <span className="font-mono text-xs text-muted">{entry.sku ?? ""}</span>
            </p>
            <p className="mt-0.5 text-xs text-muted">
              Bin {entry.locationCode} · counted {formatTime(entry.countedAt)} ·{" "}
              {entry.state === "synced" ? <Adjustment entry={entry} /> : entry.state === "failed" ? <span className="text-bad">{entry.error}</span> : "waiting to send"}
            </p>
          </div>
          {entry.state === "failed" ? (
            <div className="flex gap-1">
              <Button size="sm" variant="ghost" aria-label="Try again" onClick={() => void retry(entry)}>
                <RotateCcw className="size-4" aria-hidden />
              </Button>
              <Button size="sm" variant="ghost" aria-label="Discard" onClick={() => void removeCount(entry.id)}>
                <Trash2 className="size-4" aria-hidden />
              </Button>
            </div>
          ) : (
            <Badge tone={entry.state === "synced" ? "good" : "warn"}>{entry.state === "synced" ? "Sent" : "Waiting"}</Badge>
          )}
        </li>
      ))}
    </ul>
  );
}
