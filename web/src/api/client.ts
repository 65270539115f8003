import createClient from "openapi-fetch";
import { authFetch } from "@/auth/session";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Product = Schemas["ProductRead"];
export type Warehouse = Schemas["WarehouseRead"];
export type Location = Schemas["LocationRead"];
export type Job = Schemas["JobRead"];
export type Alert = Schemas["AlertRead"];
export type Permission = Schemas["Permission"];
export type Role = Schemas["Role"];
export type Me = Schemas["MeOut"];

/** The one typed client of the API: every call goes through the session's fetch, which adds
 * the access token and retries once after a silent refresh. */
export const api = createClient<paths>({
  baseUrl: "",
  fetch: (request: Request) => authFetch(request),
});

/** The largest page the API serves (``?limit=`` up to 500). */
export const MAX_PAGE = 500;

/** Every item of a list (`{items, next_cursor}`): reads page after page, each from the
 * previous page's cursor, until `next_cursor` is null. For lists a screen shows whole
 * (a ticket's conversation, the desk's teams and agents). */
export async function allPages<T>(
  page: (cursor: string | undefined) => Promise<{ items: T[]; next_cursor: string | null }>,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | null = null;
  do {
    const next: { items: T[]; next_cursor: string | null } = await page(cursor ?? undefined);
    all.push(...next.items);
    cursor = next.next_cursor;
  } while (cursor);
  return all;
}

export { ApiError, NetworkError, describeError, unwrap } from "./problem";
export type { Problem, FieldError } from "./problem";
