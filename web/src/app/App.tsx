import { useQueryClient } from "@tanstack/react-query";
import { PersistQueryClientProvider } from "@tanstack/react-query-persist-client";
import { useCallback, useMemo, useState } from "react";
import type { ReactNode } from "react";
import { RouterProvider } from "react-router";
import { AuthProvider } from "@/auth/AuthProvider";
import { useAuth } from "@/auth/context";
import { accessToken, getTokens, refreshTokens } from "@/auth/session";
import { LiveProvider } from "@/live/LiveProvider";
import type { LiveEvent } from "@/live/connection";
import { ToastProvider } from "@/ui/Toasts";
import { applyLiveEvent, channelsFor, resyncChannel } from "./liveEvents";
import { persistOptions } from "./persist";
import { createQueryClient } from "./queryClient";
import { createRouter } from "./routes";

/** The live connection follows the session: one socket per tab and organisation. */
function LiveBridge({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const { status, tenantId, can } = useAuth();
  const channels = useMemo(() => (status === "ready" ? channelsFor(can) : []), [status, can]);
  const token = useCallback(async (fresh: boolean) => (fresh ? (await refreshTokens())?.access ?? null : accessToken()), []);
  const onEvent = useCallback((event: LiveEvent) => applyLiveEvent(client, event), [client]);
  const onResync = useCallback((channel: string) => resyncChannel(client, channel), [client]);
  return (
    <LiveProvider sessionKey={status === "ready" ? tenantId : null} channels={channels} token={token} onEvent={onEvent} onResync={onResync}>
      {children}
    </LiveProvider>
  );
}

export function App() {
  const [client] = useState(createQueryClient);
  const [router] = useState(createRouter);
  const [persist] = useState(() => persistOptions(getTokens()?.tenantId ?? null));
  return (
    <PersistQueryClientProvider client={client} persistOptions={persist}>
      <ToastProvider>
        <AuthProvider>
          <LiveBridge>
            <RouterProvider router={router} />
          </LiveBridge>
        </AuthProvider>
      </ToastProvider>
    </PersistQueryClientProvider>
  );
}
