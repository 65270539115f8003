import { vi } from "vitest";

export interface Recorded {
  method: string;
  path: string;
  search: URLSearchParams;
  headers: Headers;
  body: unknown;
  signal: AbortSignal;
}

type Route = (request: Recorded) => Response | Promise<Response> | undefined;

/** A fake API at the HTTP boundary: `fetch` is replaced; each request is recorded and answered
 * by the first route that returns a Response (404 problem otherwise). */
export function fakeApi(...routes: Route[]) {
  const requests: Recorded[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(new URL(String(input), "http://localhost"), init);
    const url = new URL(request.url);
    const text = request.method === "GET" ? "" : await request.text();
    const recorded: Recorded = { method: request.method, path: url.pathname, search: url.searchParams, headers: request.headers, body: text ? JSON.parse(text) : null, signal: request.signal };
    requests.push(recorded);
    for (const route of routes) {
      const response = await route(recorded);
      if (response) return response;
    }
    return Response.json({ type: "about:blank", title: "Not Found", status: 404, detail: `No route ${request.method} ${url.pathname}` }, { status: 404 });
  });
  vi.stubGlobal("fetch", fetchMock);
  return { requests, fetchMock };
}

export function problem(status: number, detail: string, extra: Record<string, unknown> = {}): Response {
  return Response.json({ type: "about:blank", title: "Error", status, detail, ...extra }, { status, headers: { "Content-Type": "application/problem+json" } });
}
