import type { FieldValues, Path, UseFormSetError } from "react-hook-form";
import { ApiError, describeError } from "@/api/problem";

/**
 * Put the server's problem+json `errors` next to their fields. Returns what is left for the
 * form as a whole (the problem's detail when no field took it), or null.
 *
 * `fields` are the form's fields; a server field matches by full path (`lines.0.quantity`)
 * or by its last part (`quantity`); `rename` maps server names to form names
 * (`to_location_id` → `location`).
 */
export function applyServerErrors<T extends FieldValues>(
  error: unknown,
  setError: UseFormSetError<T>,
  fields: readonly Path<T>[],
  rename: Partial<Record<string, Path<T>>> = {},
): string | null {
  if (!(error instanceof ApiError)) return describeError(error);
  const known = new Set<string>(fields);
  let placed = 0;
  for (const item of error.problem.errors ?? []) {
    const full = item.field ?? "";
    const last = full.split(".").pop() ?? "";
    const target = rename[full] ?? rename[last] ?? (known.has(full) ? full : known.has(last) ? last : null);
    if (target) {
      setError(target as Path<T>, { type: "server", message: tidy(item.message) }, { shouldFocus: placed === 0 });
      placed += 1;
    }
  }
  if (placed > 0 && placed === (error.problem.errors ?? []).length) return null;
  return error.problem.detail;
}

/** Pydantic says "Value error, SKU must …"; people need only the second half. */
function tidy(message: string): string {
  return message.replace(/^Value error, /, "");
}
