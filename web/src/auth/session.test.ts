import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { accessToken, authFetch, getTokens, refreshTokens, setTokens, tokensFromPair } from "./session";
import type { Tokens } from "./session";

function jwt(tid: string, n: number): string {
  const payload = btoa(JSON.stringify({ tid, n })).replace(/=+$/, "");
  return `header.${payload}.sig`;
}

function session(n: number, expiresIn = 900_000): Tokens {
  return { access: jwt("t1", n), refresh: `qmr_${n}`, expiresAt: Date.now() + expiresIn, tenantId: "t1" };
}

function pair(n: number) {
  return { access_token: jwt("t1", n), refresh_token: `qmr_${n}`, token_type: "bearer" as const, expires_in: 900 };
}

/** A server whose access tokens are valid only when they are the latest issued. */
function fakeServer(start: number) {
  let latest = start;
  const refreshes: string[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(new URL(String(input), "http://localhost"), init);
    const url = new URL(request.url, "http://localhost");
    if (url.pathname === "/api/v1/auth/refresh") {
      const body = (await request.json()) as { refresh_token: string };
      refreshes.push(body.refresh_token);
      if (body.refresh_token !== `qmr_${latest}`) return new Response(JSON.stringify({ status: 401, detail: "replayed" }), { status: 401 });
      latest += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return Response.json(pair(latest));
    }
    const auth = request.headers.get("Authorization");
    if (auth !== `Bearer ${jwt("t1", latest)}`) return new Response(JSON.stringify({ status: 401, detail: "expired" }), { status: 401 });
    return Response.json({ ok: true, path: url.pathname, body: request.method === "POST" ? await request.text() : null });
  });
  return { fetchMock, refreshes, rotate: () => (latest += 1), latest: () => latest };
}

describe("the session's token refresh", () => {
  beforeEach(() => localStorage.clear());
  afterEach(() => setTokens(null));

  it("adds the access token to requests", async () => {
    const server = fakeServer(1);
    vi.stubGlobal("fetch", server.fetchMock);
    setTokens(session(1));
    const response = await authFetch(new Request("http://localhost/api/v1/me"));
    expect(response.status).toBe(200);
    expect(server.refreshes).toEqual([]);
  });

  it("refreshes silently on a 401 and retries the request once, body included", async () => {
    const expired = fakeServer(1);
    vi.stubGlobal("fetch", expired.fetchMock);
    setTokens({ ...session(1), access: "stale.token.x" }); // the server refuses this one
    const response = await authFetch(new Request("http://localhost/api/v1/stock/movements", { method: "POST", body: '{"q":1}' }));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ body: '{"q":1}' });
    expect(expired.refreshes).toEqual(["qmr_1"]);
    expect(getTokens()?.refresh).toBe("qmr_2");
    expect(JSON.parse(localStorage.getItem("qm.session") ?? "{}").refresh).toBe("qmr_2");
  });

  it("spends the refresh token once when many requests fail together", async () => {
    const server = fakeServer(1);
    vi.stubGlobal("fetch", server.fetchMock);
    setTokens({ ...session(1), access: "stale.token.x" });
    const responses = await Promise.all(
      Array.from({ length: 5 }, (_, i) => authFetch(new Request(`http://localhost/api/v1/x/${i}`))),
    );
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(server.refreshes).toEqual(["qmr_1"]);
  });

  it("takes the tokens another tab stored instead of spending a used refresh token", async () => {
    const server = fakeServer(1);
    vi.stubGlobal("fetch", server.fetchMock);
    setTokens(session(1));
    // Another tab refreshed: the server moved on and storage holds the new pair.
    server.rotate();
    localStorage.setItem("qm.session", JSON.stringify(tokensFromPair(pair(2))));
    const next = await refreshTokens();
    expect(next?.refresh).toBe("qmr_2");
    expect(server.refreshes).toEqual([]);
  });

  it("ends the session when the refresh is refused, and returns the 401", async () => {
    const server = fakeServer(5);
    vi.stubGlobal("fetch", server.fetchMock);
    setTokens({ ...session(1), access: "stale.token.x" }); // refresh token 1 was replayed
    const response = await authFetch(new Request("http://localhost/api/v1/me"));
    expect(response.status).toBe(401);
    expect(getTokens()).toBeNull();
    expect(localStorage.getItem("qm.session")).toBeNull();
  });

  it("refreshes ahead of expiry rather than waiting for a 401", async () => {
    const server = fakeServer(1);
    vi.stubGlobal("fetch", server.fetchMock);
    setTokens(session(1, 10_000)); // expires within the refresh margin
    const token = await accessToken();
    expect(token).toBe(jwt("t1", 2));
    expect(server.refreshes).toEqual(["qmr_1"]);
  });

  it("reads the organisation from the access token", () => {
    expect(tokensFromPair(pair(3)).tenantId).toBe("t1");
  });
});
