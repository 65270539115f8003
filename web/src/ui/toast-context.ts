import { createContext, useContext } from "react";
import type { ReactNode } from "react";

export type ToastTone = "info" | "good" | "warn" | "bad";

export interface ToastInput {
  title: ReactNode;
  body?: ReactNode;
  tone?: ToastTone;
  /** Milliseconds before it goes; warnings stay a little longer by default. */
  duration?: number;
  action?: { label: string; onClick: () => void };
}

export const ToastContext = createContext<(toast: ToastInput) => void>(() => undefined);

export function useToast(): (toast: ToastInput) => void {
  return useContext(ToastContext);
}
