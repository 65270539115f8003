/** Plain-language formatting: numbers with their unit, money with its currency, times in
 * the user's time zone. Quantities and money arrive as decimal strings and stay exact. */

const UNIT_WORDS: Record<string, string> = { pcs: "pcs", box: "boxes" };

/** "12 pcs", "3.5 m", "-2 kg". Trailing zeros of the decimal string are dropped. */
export function formatQuantity(value: string | number | null | undefined, unit?: string): string {
  if (value === null || value === undefined || value === "") return "—";
  const text = trimDecimal(String(value));
  const grouped = groupThousands(text);
  if (!unit) return grouped;
  return `${grouped} ${UNIT_WORDS[unit] ?? unit}`;
}

export function trimDecimal(text: string): string {
  if (!text.includes(".")) return text;
  const trimmed = text.replace(/0+$/, "").replace(/\.$/, "");
  return trimmed === "-0" ? "0" : trimmed;
}

function groupThousands(text: string): string {
  const negative = text.startsWith("-");
  const [whole = "0", fraction] = (negative ? text.slice(1) : text).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${negative ? "-" : ""}${grouped}${fraction ? `.${fraction}` : ""}`;
}

export function formatMoney(value: string | number | null | undefined, currency?: string | null): string {
  if (value === null || value === undefined || value === "") return "—";
  const amount = Number(value);
  if (!currency) return groupThousands(Number(amount).toFixed(2));
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(amount);
  } catch {
    return `${groupThousands(amount.toFixed(2))} ${currency}`;
  }
}

export function compactMoney(value: number, currency?: string | null): string {
  try {
    return new Intl.NumberFormat(undefined, {
      style: currency ? "currency" : "decimal",
      currency: currency ?? undefined,
      notation: "compact",
      maximumFractionDigits: 1,
    }).format(value);
  } catch {
    return String(Math.round(value));
  }
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });

export function formatDateTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : "—";
}

export function formatDate(iso: string | null | undefined): string {
  return iso ? dateOnly.format(new Date(iso)) : "—";
}

export function formatTime(iso: string | Date): string {
  return timeOnly.format(typeof iso === "string" ? new Date(iso) : iso);
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

/** "2 minutes ago", "yesterday"; the exact time belongs in a title attribute. */
export function formatRelative(iso: string, now = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return "just now";
  if (abs < 3600) return relative.format(Math.round(seconds / 60), "minute");
  if (abs < 86_400) return relative.format(Math.round(seconds / 3600), "hour");
  if (abs < 30 * 86_400) return relative.format(Math.round(seconds / 86_400), "day");
  return formatDate(iso);
}

export function isNegative(value: string | null | undefined): boolean {
  return !!value && value.trim().startsWith("-") && Number(value) !== 0;
}
