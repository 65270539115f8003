import { useLiveStatus } from "@/live/context";
import type { LiveStatus } from "@/live/connection";
import { cn } from "@/lib/cn";

const LABELS: Record<LiveStatus, string> = {
  live: "Live",
  connecting: "Connecting…",
  reconnecting: "Reconnecting…",
  offline: "Offline",
  stopped: "Not connected",
};
const DOTS: Record<LiveStatus, string> = {
  live: "bg-good",
  connecting: "bg-warn animate-pulse",
  reconnecting: "bg-warn animate-pulse",
  offline: "bg-muted",
  stopped: "bg-muted",
};
const HELP: Record<LiveStatus, string> = {
  live: "Changes made by anyone appear here as they happen.",
  connecting: "Connecting for live updates.",
  reconnecting: "The live connection dropped; retrying. Nothing is lost: missed changes arrive when it is back.",
  offline: "No network. Pages you have seen stay readable; stock counts are kept on this device and sent later.",
  stopped: "Live updates are off.",
};

/** Live / reconnecting / offline, always visible (UX principle 5). */
export function ConnectionIndicator({ compact = false }: { compact?: boolean }) {
  const status = useLiveStatus();
  return (
    <span
      role="status"
      aria-live="polite"
      title={HELP[status]}
      data-testid="connection-status"
      data-status={status}
      className={cn("inline-flex items-center gap-2 rounded-full text-xs font-medium text-muted", compact ? "" : "border border-line px-2.5 py-1")}
    >
      <span aria-hidden className={cn("size-2 rounded-full", DOTS[status])} />
      <span className={compact ? "sr-only" : ""}>{LABELS[status]}</span>
    </span>
  );
}
