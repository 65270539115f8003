import { AlertTriangle, CheckCircle2, Info, WifiOff } from "lucide-react";
import type { ReactNode } from "react";
import { ApiError, NetworkError, describeError } from "@/api/problem";
import { cn } from "@/lib/cn";

type Tone = "info" | "good" | "warn" | "bad";
const styles: Record<Tone, string> = {
  info: "border-line bg-raised text-ink",
  good: "border-good/30 bg-good-soft text-good",
  warn: "border-warn/30 bg-warn-soft text-warn",
  bad: "border-bad/30 bg-bad-soft text-bad",
};
const icons: Record<Tone, ReactNode> = {
  info: <Info className="size-5 shrink-0" aria-hidden />,
  good: <CheckCircle2 className="size-5 shrink-0" aria-hidden />,
  warn: <AlertTriangle className="size-5 shrink-0" aria-hidden />,
  bad: <AlertTriangle className="size-5 shrink-0" aria-hidden />,
};

export function Notice({ tone = "info", title, children, action, className }: { tone?: Tone; title?: ReactNode; children?: ReactNode; action?: ReactNode; className?: string }) {
  return (
    <div role={tone === "bad" ? "alert" : "status"} className={cn("flex gap-3 rounded-lg border px-4 py-3 text-sm", styles[tone], className)}>
      {icons[tone]}
      <div className="min-w-0 flex-1">
        {title ? <p className="font-medium">{title}</p> : null}
        {children ? <div className={title ? "mt-0.5" : ""}>{children}</div> : null}
      </div>
      {action}
    </div>
  );
}

/** An error from the API in plain words; offline is told apart from a refusal. */
export function ErrorNotice({ error, title, action }: { error: unknown; title?: string; action?: ReactNode }) {
  if (error instanceof NetworkError) {
    return (
      <div role="alert" className="flex gap-3 rounded-lg border border-line bg-raised px-4 py-3 text-sm">
        <WifiOff className="size-5 shrink-0 text-muted" aria-hidden />
        <div className="flex-1">{describeError(error)}</div>
        {action}
      </div>
    );
  }
  const status = error instanceof ApiError ? error.status : undefined;
  return (
    <Notice tone={status && status < 500 ? "warn" : "bad"} title={title} action={action}>
      {describeError(error)}
    </Notice>
  );
}
