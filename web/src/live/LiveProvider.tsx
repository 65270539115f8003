import { useEffect, useMemo, useRef, useState } from "react";
import type { ReactNode } from "react";
import { LiveConnection } from "./connection";
import type { LiveEvent, LiveStatus } from "./connection";
import { LiveContext } from "./context";
import type { Live } from "./context";

interface Props {
  /** Null while signed out: no socket. A new key (another organisation) is a new socket. */
  sessionKey: string | null;
  channels: string[];
  token: (fresh: boolean) => Promise<string | null>;
  onEvent: (event: LiveEvent) => void;
  onResync: (channel: string) => void;
  children: ReactNode;
}

export function liveUrl(): string {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${window.location.host}/api/v1/ws`;
}

/** One WebSocket per tab while signed in; events update the caches, then reach listeners. */
export function LiveProvider({ sessionKey, channels, token, onEvent, onResync, children }: Props) {
  const [status, setStatus] = useState<LiveStatus>("stopped");
  const listeners = useRef(new Set<(event: LiveEvent) => void>());
  const handlers = useRef({ token, onEvent, onResync });
  useEffect(() => {
    handlers.current = { token, onEvent, onResync };
  });
  const channelKey = channels.join(",");

  useEffect(() => {
    if (!sessionKey || !channelKey) return;
    const connection = new LiveConnection({
      url: liveUrl(),
      channels: channelKey.split(","),
      token: (fresh) => handlers.current.token(fresh),
      onEvent: (event) => {
        handlers.current.onEvent(event);
        for (const listener of listeners.current) listener(event);
      },
      onResync: (channel) => handlers.current.onResync(channel),
      onStatus: setStatus,
    });
    connection.start();
    return () => connection.stop();
  }, [sessionKey, channelKey]);

  const value = useMemo<Live>(
    () => ({
      status,
      listen: (listener) => {
        listeners.current.add(listener);
        return () => listeners.current.delete(listener);
      },
    }),
    [status],
  );
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}
