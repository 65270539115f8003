import type { Schemas } from "@/api/client";
import type { SlaPolicy } from "../desk";

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export const DAY_NAMES: Record<(typeof WEEKDAYS)[number], string> = { mon: "Monday", tue: "Tuesday", wed: "Wednesday", thu: "Thursday", fri: "Friday", sat: "Saturday", sun: "Sunday" };
const PRIORITY_ORDER = ["urgent", "high", "normal", "low"] as const;

/** The policy as a person edits it: hours as "09:00-17:00, 18:00-20:00", targets in hours. */
export interface PolicyText {
  name: string;
  time_zone: string;
  hours: Record<string, string>;
  holidays: string;
  targets: Record<string, { first: string; resolution: string }>;
  is_default: boolean;
}

const hoursOf = (minutes: number | null | undefined) => (minutes ? String(Math.round((minutes / 60) * 100) / 100) : "");

export function policyText(policy: SlaPolicy | null): PolicyText {
  return {
    name: policy?.name ?? "",
    time_zone: policy?.time_zone ?? (Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"),
    hours: Object.fromEntries(WEEKDAYS.map((d) => [d, (policy ? (policy.weekly_hours[d] ?? []) : ["sat", "sun"].includes(d) ? [] : ["09:00-17:00"]).join(", ")])),
    holidays: (policy?.holidays ?? []).join("\n"),
    targets: Object.fromEntries(
      PRIORITY_ORDER.map((p) => {
        const fallback = { urgent: [60, 240], high: [240, 960], normal: [480, 2400], low: [960, 4800] }[p];
        const target = policy ? policy.targets[p] : { first_response_minutes: fallback[0], resolution_minutes: fallback[1] };
        return [p, { first: hoursOf(target?.first_response_minutes), resolution: hoursOf(target?.resolution_minutes) }];
      }),
    ),
    is_default: policy?.is_default ?? false,
  };
}

const minutesOf = (hours: string) => (hours.trim() ? Math.round(Number(hours.replace(",", ".")) * 60) : null);

/** The API's body, or the first thing that is wrong (said plainly). */
export function policyBody(text: PolicyText): { body: Schemas["SlaPolicyCreate"] } | { error: string } {
  const weekly: Record<string, string[]> = {};
  for (const day of WEEKDAYS) {
    const parts = (text.hours[day] ?? "").split(",").map((p) => p.replace(/\s+/g, "")).filter(Boolean);
    for (const part of parts) if (!/^\d{2}:\d{2}-\d{2}:\d{2}$/.test(part)) return { error: `${DAY_NAMES[day]}: write hours like 09:00-17:00 (comma between intervals).` };
    weekly[day] = parts;
  }
  const holidays = text.holidays.split(/[\s,]+/).filter(Boolean);
  for (const day of holidays) if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return { error: `Holiday "${day}": write dates as YYYY-MM-DD.` };
  const targets: Schemas["SlaPolicyCreate"]["targets"] = {};
  for (const [priority, target] of Object.entries(text.targets)) {
    const first = minutesOf(target.first);
    const resolution = minutesOf(target.resolution);
    if ((first !== null && !(first > 0)) || (resolution !== null && !(resolution > 0))) return { error: `${priority}: targets are hours above 0 (or empty for none).` };
    if (first !== null || resolution !== null) targets[priority as keyof typeof targets] = { first_response_minutes: first, resolution_minutes: resolution };
  }
  return { body: { name: text.name.trim(), time_zone: text.time_zone.trim(), weekly_hours: weekly, holidays, targets, is_default: text.is_default } };
}

const SHORT: Record<(typeof WEEKDAYS)[number], string> = { mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun" };

/** "Mon–Fri 09:00-17:00 · Sat 10:00-14:00", "Every day 00:00-24:00": runs of days alike. */
export function hoursSummary(weekly: Record<string, string[]>): string {
  const text = WEEKDAYS.map((d) => (weekly[d] ?? []).join(", "));
  if (text.every((t) => t && t === text[0])) return `Every day ${text[0]}`;
  const parts: string[] = [];
  let start = 0;
  for (let i = 1; i <= WEEKDAYS.length; i += 1) {
    if (i < WEEKDAYS.length && text[i] === text[start]) continue;
    if (text[start]) {
      const first = SHORT[WEEKDAYS[start]!];
      const days = i - 1 === start ? first : `${first}–${SHORT[WEEKDAYS[i - 1]!]}`;
      parts.push(`${days} ${text[start]}`);
    }
    start = i;
  }
  return parts.join(" · ") || "no business hours";
}
