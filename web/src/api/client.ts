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

export { ApiError, NetworkError, describeError, unwrap } from "./problem";
export type { Problem, FieldError } from "./problem";
