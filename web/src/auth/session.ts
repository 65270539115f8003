/**
 * The session: the token pair in localStorage (so a reload keeps you signed in) and the one
 * way to refresh it.
 *
 * Refresh tokens rotate, and presenting a used one revokes the whole session (theft
 * detection). So refreshes are serialised: within a tab by one shared promise, across tabs
 * by a Web Lock, and inside the lock we re-read storage — if another tab refreshed while we
 * waited, we take its tokens instead of spending the old refresh token a second time.
 */
import type { components } from "@/api/schema";

type TokenPair = components["schemas"]["TokenPair"];

export interface Tokens {
  access: string;
  refresh: string;
  /** When the access token expires (ms since the epoch). */
  expiresAt: number;
  /** The organisation the access token acts in (its `tid` claim). */
  tenantId: string;
}

const STORAGE_KEY = "qm.session";
const LOCK_NAME = "qm.session.refresh";
const REFRESH_PATH = "/api/v1/auth/refresh";
/** Refresh this long before the access token expires. */
export const REFRESH_MARGIN_MS = 60_000;

type Listener = () => void;
const listeners = new Set<Listener>();
let current: Tokens | null = read();
let inFlight: Promise<Tokens | null> | null = null;

function read(): Tokens | null {
  try {
    const raw = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Partial<Tokens>;
    if (!parsed.access || !parsed.refresh || !parsed.expiresAt || !parsed.tenantId) return null;
    return parsed as Tokens;
  } catch {
    return null;
  }
}

function notify(): void {
  for (const listener of listeners) listener();
}

if (typeof window !== "undefined") {
  // Another tab signed in, out, switched organisation or refreshed.
  window.addEventListener("storage", (event) => {
    if (event.key !== STORAGE_KEY && event.key !== null) return;
    current = read();
    notify();
  });
}

export function claims(token: string): Record<string, unknown> {
  const part = token.split(".")[1];
  if (!part) return {};
  try {
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
    return JSON.parse(json) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export function tokensFromPair(pair: TokenPair, now = Date.now()): Tokens {
  const tenantId = String(claims(pair.access_token).tid ?? "");
  return {
    access: pair.access_token,
    refresh: pair.refresh_token,
    expiresAt: now + pair.expires_in * 1000,
    tenantId,
  };
}

export function getTokens(): Tokens | null {
  return current;
}

export function setTokens(tokens: Tokens | null): void {
  current = tokens;
  if (tokens) localStorage.setItem(STORAGE_KEY, JSON.stringify(tokens));
  else localStorage.removeItem(STORAGE_KEY);
  notify();
}

export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

async function withLock<T>(work: () => Promise<T>): Promise<T> {
  const locks = globalThis.navigator?.locks;
  if (!locks) return work();
  return locks.request(LOCK_NAME, work) as Promise<T>;
}

async function exchange(spent: string): Promise<Tokens | null> {
  const stored = read();
  if (!stored) {
    current = null;
    notify();
    return null;
  }
  if (stored.refresh !== spent) {
    // Another tab refreshed (or signed in again) while we waited for the lock.
    current = stored;
    notify();
    return stored;
  }
  const response = await fetch(REFRESH_PATH, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh_token: spent }),
  });
  if (response.status === 401 || response.status === 403) {
    setTokens(null); // the session is over (expired, revoked or replayed)
    return null;
  }
  if (!response.ok) throw new Error(`Token refresh failed: ${response.status}`);
  const next = tokensFromPair((await response.json()) as TokenPair);
  setTokens(next);
  return next;
}

/** A new token pair (or null when the session is over). Concurrent callers share one. */
export function refreshTokens(): Promise<Tokens | null> {
  const spent = current?.refresh;
  if (!spent) return Promise.resolve(null);
  if (!inFlight) {
    inFlight = withLock(() => exchange(spent)).finally(() => {
      inFlight = null;
    });
  }
  return inFlight;
}

/** A valid access token, refreshed first when it is about to expire. */
export async function accessToken(now = Date.now()): Promise<string | null> {
  if (!current) return null;
  if (current.expiresAt - now < REFRESH_MARGIN_MS) {
    try {
      return (await refreshTokens())?.access ?? null;
    } catch {
      return current?.access ?? null; // offline: try the old one, the server decides
    }
  }
  return current.access;
}

/** fetch with the access token; a 401 triggers one silent refresh and one retry. */
export async function authFetch(request: Request): Promise<Response> {
  const retry = request.clone();
  const token = request.headers.has("Authorization") ? null : await accessToken();
  if (token) request.headers.set("Authorization", `Bearer ${token}`);
  const response = await fetch(request);
  if (response.status !== 401 || !token) return response;
  // Someone else refreshed since we sent it: retry with theirs; otherwise refresh now.
  const next =
    current && current.access !== token ? current : await refreshTokens().catch(() => null);
  if (!next) return response;
  retry.headers.set("Authorization", `Bearer ${next.access}`);
  return fetch(retry);
}
