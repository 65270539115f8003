import { AlertTriangle, Bell, CheckCircle2, X } from "lucide-react";
import { useCallback, useEffect, useState } from "react";
import type { ReactNode } from "react";
import { cn } from "@/lib/cn";
import { ToastContext } from "./toast-context";
import type { ToastInput, ToastTone } from "./toast-context";

interface Toast extends ToastInput {
  id: number;
}

const MAX_VISIBLE = 4;
const toneIcon: Record<ToastTone, ReactNode> = {
  info: <Bell className="size-5 text-accent" aria-hidden />,
  good: <CheckCircle2 className="size-5 text-good" aria-hidden />,
  warn: <AlertTriangle className="size-5 text-warn" aria-hidden />,
  bad: <AlertTriangle className="size-5 text-bad" aria-hidden />,
};

let nextId = 1;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const dismiss = useCallback((id: number) => setToasts((all) => all.filter((t) => t.id !== id)), []);
  const push = useCallback((toast: ToastInput) => {
    setToasts((all) => [...all.slice(-(MAX_VISIBLE - 1)), { ...toast, id: nextId++ }]);
  }, []);
  return (
    <ToastContext.Provider value={push}>
      {children}
      <div
        role="region"
        aria-live="polite"
        aria-label="Notifications"
        className="pointer-events-none fixed inset-x-0 bottom-20 z-50 flex flex-col items-center gap-2 px-3 md:bottom-4 md:right-4 md:left-auto md:items-end"
      >
        {toasts.map((toast) => (
          <ToastItem key={toast.id} toast={toast} onDismiss={dismiss} />
        ))}
      </div>
    </ToastContext.Provider>
  );
}

function ToastItem({ toast, onDismiss }: { toast: Toast; onDismiss: (id: number) => void }) {
  const tone = toast.tone ?? "info";
  const duration = toast.duration ?? (tone === "warn" || tone === "bad" ? 8000 : 5000);
  useEffect(() => {
    const timer = window.setTimeout(() => onDismiss(toast.id), duration);
    return () => window.clearTimeout(timer);
  }, [toast.id, duration, onDismiss]);
  return (
    <div
      role={tone === "bad" ? "alert" : "status"}
      className={cn("pointer-events-auto flex w-full max-w-sm gap-3 rounded-xl border border-line bg-surface p-3 shadow-lg")}
    >
      {toneIcon[tone]}
      <div className="min-w-0 flex-1 text-sm">
        <p className="font-medium">{toast.title}</p>
        {toast.body ? <div className="mt-0.5 text-muted">{toast.body}</div> : null}
        {toast.action ? (
          <button
            type="button"
            className="mt-1 font-medium text-accent hover:underline"
            onClick={() => {
              toast.action?.onClick();
              onDismiss(toast.id);
            }}
          >
            {toast.action.label}
          </button>
        ) : null}
      </div>
      <button type="button" aria-label="Dismiss" className="self-start rounded p-1 text-muted hover:bg-raised" onClick={() => onDismiss(toast.id)}>
        <X className="size-4" aria-hidden />
      </button>
    </div>
  );
}
