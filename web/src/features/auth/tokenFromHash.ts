/** Mailed links carry their token after `#token=` (a fragment never reaches server logs). */
export function tokenFromHash(hash: string): string | null {
  return new URLSearchParams(hash.replace(/^#/, "")).get("token");
}
