import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import type { ReactNode } from "react";
import { api, unwrap } from "@/api/client";
import type { Permission } from "@/api/client";
import { clearOfflineApiCache } from "@/app/serviceWorker";
import { AuthContext } from "./context";
import type { Auth, LoginInput } from "./context";
import {
  REFRESH_MARGIN_MS,
  getTokens,
  refreshTokens,
  setTokens,
  subscribe,
  tokensFromPair,
} from "./session";

const LAST_TENANT_KEY = "qm.lastTenant";

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const tokens = useSyncExternalStore(subscribe, getTokens, getTokens);
  const [endedReason, setEndedReason] = useState<string | null>(null);
  const hadSession = useRef(tokens !== null);
  const tenantId = tokens?.tenantId ?? null;

  const meQuery = useQuery({
    queryKey: ["me", tenantId],
    queryFn: () => unwrap(api.GET("/api/v1/me")),
    enabled: tenantId !== null,
    staleTime: 5 * 60_000,
  });

  // A session that disappears without logout (refresh refused) says so on the login screen.
  useEffect(() => {
    if (tokens === null && hadSession.current) {
      queryClient.clear();
      setEndedReason((reason) => reason ?? "Your session ended. Please log in again.");
    }
    hadSession.current = tokens !== null;
  }, [tokens, queryClient]);

  // Silent refresh shortly before the access token expires (every tab may try; the lock
  // in session.ts makes only one of them spend the refresh token).
  useEffect(() => {
    if (!tokens) return;
    const wait = Math.max(0, tokens.expiresAt - Date.now() - REFRESH_MARGIN_MS + 1000);
    const timer = window.setTimeout(() => {
      void refreshTokens().catch(() => undefined);
    }, wait);
    return () => window.clearTimeout(timer);
  }, [tokens]);

  useEffect(() => {
    const slug = meQuery.data?.tenant.slug;
    if (slug) localStorage.setItem(LAST_TENANT_KEY, slug);
  }, [meQuery.data]);

  const login = useCallback(
    async ({ email, password }: LoginInput) => {
      const tenant = localStorage.getItem(LAST_TENANT_KEY);
      const attempt = (withTenant: string | null) =>
        unwrap(
          api.POST("/api/v1/auth/token", {
            body: { username: email, password, tenant: withTenant },
            bodySerializer: (body) => {
              const form = new URLSearchParams({ username: body.username, password: body.password });
              if (body.tenant) form.set("tenant", body.tenant);
              return form;
            },
            headers: { "Content-Type": "application/x-www-form-urlencoded" },
          }),
        );
      let pair;
      try {
        pair = await attempt(tenant);
      } catch (error) {
        if (!tenant) throw error;
        pair = await attempt(null); // no longer a member of the last organisation
      }
      setEndedReason(null);
      queryClient.clear();
      setTokens(tokensFromPair(pair));
    },
    [queryClient],
  );

  const signup = useCallback<Auth["signup"]>(
    async (input) => {
      const result = await unwrap(api.POST("/api/v1/auth/signup", { body: input }));
      setEndedReason(null);
      queryClient.clear();
      setTokens(tokensFromPair(result));
    },
    [queryClient],
  );

  const acceptInvitation = useCallback<Auth["acceptInvitation"]>(
    async (input) => {
      const result = await unwrap(api.POST("/api/v1/auth/invitations/accept", { body: input }));
      setEndedReason(null);
      queryClient.clear();
      setTokens(tokensFromPair(result));
    },
    [queryClient],
  );

  const logout = useCallback(async () => {
    const current = getTokens();
    setEndedReason("You have logged out.");
    setTokens(null);
    queryClient.clear();
    await clearOfflineApiCache();
    if (current) {
      await fetch("/api/v1/auth/logout", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: current.refresh }),
      }).catch(() => undefined);
    }
  }, [queryClient]);

  const switchTenant = useCallback(
    async (target: string) => {
      const pair = await unwrap(
        api.POST("/api/v1/auth/switch-tenant", { body: { tenant_id: target } }),
      );
      queryClient.clear();
      await clearOfflineApiCache();
      setTokens(tokensFromPair(pair));
    },
    [queryClient],
  );

  const me = meQuery.data ?? null;
  const value = useMemo<Auth>(() => {
    const permissions = new Set<Permission>(me?.permissions ?? []);
    return {
      status: !tokens ? "anonymous" : me ? "ready" : "loading",
      me,
      meError: meQuery.error,
      tenantId,
      endedReason,
      can: (permission) => permissions.has(permission),
      login,
      signup,
      acceptInvitation,
      logout,
      switchTenant,
    };
  }, [tokens, me, meQuery.error, tenantId, endedReason, login, signup, acceptInvitation, logout, switchTenant]);

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
