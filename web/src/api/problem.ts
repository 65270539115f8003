/**
 * RFC 9457 problem+json, as every error of the API is shaped. The OpenAPI document does not
 * describe error bodies, so this is the one hand-written API shape (read, never sent).
 */
export interface FieldError {
  field: string;
  location?: string;
  loc?: (string | number)[];
  message: string;
  type?: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code?: string;
  request_id?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export function isProblem(value: unknown): value is Problem {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.status === "number" && typeof candidate.detail === "string";
}

/** A refused request: the server's problem, with its status and any field errors. */
export class ApiError extends Error {
  readonly problem: Problem;
  readonly response: Response | undefined;

  constructor(problem: Problem, response?: Response) {
    super(problem.detail);
    this.name = "ApiError";
    this.problem = problem;
    this.response = response;
  }

  get status(): number {
    return this.problem.status;
  }

  get code(): string | undefined {
    return this.problem.code;
  }
}

/** The request never reached the server (offline, DNS, connection refused). */
export class NetworkError extends Error {
  constructor(cause?: unknown) {
    super("No connection to the server.");
    this.name = "NetworkError";
    this.cause = cause;
  }
}

export function problemFrom(body: unknown, response: Response): Problem {
  if (isProblem(body)) return body;
  return {
    type: "about:blank",
    title: response.statusText || "Error",
    status: response.status,
    detail: `The server answered ${response.status} ${response.statusText}.`.trim(),
  };
}

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a successful openapi-fetch call, or an ApiError / NetworkError. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch (cause) {
    if (cause instanceof ApiError) throw cause;
    throw new NetworkError(cause);
  }
  if (result.error !== undefined || !result.response.ok) {
    throw new ApiError(problemFrom(result.error, result.response), result.response);
  }
  return result.data as T;
}

/** Plain words for any error a screen shows. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.problem.detail;
  if (error instanceof NetworkError) return "You are offline or the server cannot be reached.";
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}
