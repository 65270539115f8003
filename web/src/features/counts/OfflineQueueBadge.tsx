import { CloudOff, RefreshCw } from "lucide-react";
import { Link } from "react-router";
import { cn } from "@/lib/cn";
import { useCountQueue, useSyncStatus } from "./useCountQueue";

/** "3 counts waiting" wherever you are, until they are sent (UX principle 5). */
export function OfflineQueueBadge({ compact = false }: { compact?: boolean }) {
  const entries = useCountQueue();
  const { syncing } = useSyncStatus();
  const waiting = entries.filter((e) => e.state === "pending").length;
  const failed = entries.filter((e) => e.state === "failed").length;
  if (!waiting && !failed) return null;
  const label = waiting
    ? `${waiting} count${waiting === 1 ? "" : "s"} waiting to send`
    : `${failed} count${failed === 1 ? "" : "s"} need attention`;
  return (
    <Link
      to="/counts"
      data-testid="offline-queue"
      title={label}
      className={cn(
        "inline-flex items-center gap-2 rounded-lg text-xs font-medium",
        failed && !waiting ? "text-bad" : "text-warn",
        compact ? "p-1" : "w-full bg-warn-soft px-2.5 py-1.5",
      )}
    >
      {syncing ? <RefreshCw className="size-4 animate-spin" aria-hidden /> : <CloudOff className="size-4" aria-hidden />}
      <span className={compact ? "sr-only" : ""}>{label}</span>
      {compact ? <span aria-hidden>{waiting || failed}</span> : null}
    </Link>
  );
}
