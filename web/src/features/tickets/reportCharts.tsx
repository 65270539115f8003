import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { Schemas } from "@/api/client";
import { formatDate } from "@/lib/format";
import { formatDuration } from "./reportApi";

type Bucket = Schemas["TicketBucket"];

const axis = { stroke: "var(--qm-muted)", fontSize: 12, tickLine: false, axisLine: false } as const;
const tooltipStyle = {
  contentStyle: { background: "var(--qm-surface)", border: "1px solid var(--qm-line)", borderRadius: 8, color: "var(--qm-ink)" },
  labelStyle: { color: "var(--qm-ink)", fontWeight: 600 },
  cursor: { fill: "var(--qm-raised)" },
};
const day = (v: string) => new Date(v).getDate().toString();

/** Tickets created and resolved per day, side by side. */
export function CreatedResolvedChart({ buckets }: { buckets: Bucket[] }) {
  return (
    <div className="h-64" role="img" aria-label="Bar chart of tickets created and resolved per day">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={buckets} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid vertical={false} stroke="var(--qm-line)" />
          <XAxis dataKey="start" {...axis} tickFormatter={day} minTickGap={12} />
          <YAxis {...axis} width={36} allowDecimals={false} />
          <Tooltip {...tooltipStyle} labelFormatter={(v) => formatDate(String(v))} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar dataKey="created" name="Created" fill="var(--qm-accent)" radius={[3, 3, 0, 0]} isAnimationActive={false} />
          <Bar dataKey="resolved" name="Resolved" fill="var(--qm-warn)" radius={[3, 3, 0, 0]} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

/** Median first response and resolution per day, in hours. */
export function ResponseTimesChart({ buckets }: { buckets: Bucket[] }) {
  const data = buckets.map((b) => ({
    start: b.start,
    first: b.median_first_response_seconds === null ? null : b.median_first_response_seconds / 3600,
    resolution: b.median_resolution_seconds === null ? null : b.median_resolution_seconds / 3600,
  }));
  return (
    <div className="h-64" role="img" aria-label="Line chart of median first response and resolution times per day">
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid vertical={false} stroke="var(--qm-line)" />
          <XAxis dataKey="start" {...axis} tickFormatter={day} minTickGap={12} />
          <YAxis {...axis} width={40} domain={[0, (max: number) => Math.max(1, Math.ceil(max))]} tickFormatter={(v: number) => (v < 1 ? `${Math.round(v * 60)}m` : `${Math.round(v)}h`)} />
          <Tooltip {...tooltipStyle} labelFormatter={(v) => formatDate(String(v))} formatter={(value, name) => [formatDuration(Number(value) * 3600), name]} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Line dataKey="first" name="First response" stroke="var(--qm-accent)" dot={{ r: 2.5 }} strokeWidth={2} connectNulls isAnimationActive={false} />
          <Line dataKey="resolution" name="Resolution" stroke="var(--qm-warn)" dot={{ r: 2.5 }} strokeWidth={2} connectNulls isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

/** SLA breaches per day. */
export function BreachesChart({ buckets }: { buckets: Bucket[] }) {
  return (
    <div className="h-48" role="img" aria-label="Bar chart of SLA breaches per day">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={buckets} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid vertical={false} stroke="var(--qm-line)" />
          <XAxis dataKey="start" {...axis} tickFormatter={day} minTickGap={12} />
          <YAxis {...axis} width={36} allowDecimals={false} />
          <Tooltip {...tooltipStyle} labelFormatter={(v) => formatDate(String(v))} />
          <Bar dataKey="breaches" name="Breaches" fill="var(--qm-bad)" radius={[3, 3, 0, 0]} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
