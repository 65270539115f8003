import { ApiError, NetworkError, problemFrom } from "@/api/problem";
import { authFetch } from "@/auth/session";

type QueryValue = string | number | boolean | null | undefined;

interface CallOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** The public help centre sends no token, whoever is signed in on this browser. */
  anonymous?: boolean;
}

/** One call to `/api/v1{path}`: the JSON answer, or an ApiError / NetworkError like `unwrap`. */
export async function call<T>(method: "GET" | "POST" | "PATCH" | "DELETE", path: string, options: CallOptions = {}): Promise<T> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const search = params.size ? `?${params}` : "";
  const headers = new Headers(options.headers);
  if (options.body !== undefined) headers.set("Content-Type", "application/json");
  const request = new Request(`${globalThis.location?.origin ?? "http://localhost"}/api/v1${path}${search}`, {
    method,
    headers,
    body: options.body === undefined ? null : JSON.stringify(options.body),
    signal: options.signal ?? null,
  });
  let response: Response;
  try {
    response = await (options.anonymous ? fetch(request) : authFetch(request));
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === "AbortError") throw cause;
    throw new NetworkError(cause);
  }
  const text = await response.text();
  const parsed: unknown = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(problemFrom(parsed, response), response);
  return parsed as T;
}
