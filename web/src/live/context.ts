import { createContext, useContext, useEffect, useRef } from "react";
import type { LiveEvent, LiveStatus } from "./connection";

export interface Live {
  status: LiveStatus;
  /** Listen to every live event (after the caches were updated). */
  listen: (listener: (event: LiveEvent) => void) => () => void;
}

export const LiveContext = createContext<Live>({ status: "stopped", listen: () => () => undefined });

export function useLiveStatus(): LiveStatus {
  return useContext(LiveContext).status;
}

/** Call `handler` for each live event of the given types (e.g. a toast for new alerts). */
export function useLiveEvent(types: readonly string[], handler: (event: LiveEvent) => void): void {
  const { listen } = useContext(LiveContext);
  const latest = useRef(handler);
  useEffect(() => {
    latest.current = handler;
  });
  const key = types.join(",");
  useEffect(() => {
    const wanted = new Set(key.split(","));
    return listen((event) => {
      if (wanted.has(event.type)) latest.current(event);
    });
  }, [listen, key]);
}
