import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { Schemas } from "@/api/client";
import { compactMoney, formatDate, formatMoney, formatQuantity } from "@/lib/format";

type Bucket = Schemas["MovementBucket"];

const compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });
function compactNumber(value: number): string {
  return compact.format(value);
}

const axis = { stroke: "var(--qm-muted)", fontSize: 12, tickLine: false, axisLine: false } as const;
const tooltipStyle = {
  contentStyle: { background: "var(--qm-surface)", border: "1px solid var(--qm-line)", borderRadius: 8, color: "var(--qm-ink)" },
  labelStyle: { color: "var(--qm-ink)", fontWeight: 600 },
  cursor: { fill: "var(--qm-raised)" },
};

/** Stock in and out per day: receipts and positive adjustments up, issues and write-offs down. */
export function MovementsChart({ buckets }: { buckets: Bucket[] }) {
  const data = buckets.map((b) => ({
    day: b.period_start,
    in: Number(b.in),
    out: -Number(b.out),
  }));
  return (
    <div className="h-64" role="img" aria-label="Bar chart of stock in and out per day">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} stackOffset="sign" margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid vertical={false} stroke="var(--qm-line)" />
          <XAxis dataKey="day" {...axis} tickFormatter={(v: string) => new Date(v).getDate().toString()} minTickGap={12} />
          <YAxis {...axis} width={44} tickFormatter={(v: number) => compactNumber(Math.abs(v))} />
          <Tooltip
            {...tooltipStyle}
            labelFormatter={(v) => formatDate(String(v))}
            formatter={(value, name) => [formatQuantity(String(Math.abs(Number(value)))), name === "in" ? "In" : "Out"]}
          />
          <Bar dataKey="in" name="in" stackId="flow" fill="var(--qm-accent)" radius={[3, 3, 0, 0]} isAnimationActive={false} />
          <Bar dataKey="out" name="out" stackId="flow" fill="var(--qm-warn)" radius={[0, 0, 3, 3]} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

export interface ValueRow {
  key: string;
  label: string;
  value: number;
}

/** Horizontal bars of stock value (by warehouse or category), biggest first. */
export function ValueBars({ rows, currency }: { rows: ValueRow[]; currency: string | null }) {
  const height = Math.max(120, rows.length * 36 + 16);
  return (
    <div style={{ height }} role="img" aria-label="Bar chart of stock value">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={rows} layout="vertical" margin={{ top: 0, right: 64, bottom: 0, left: 0 }}>
          <XAxis type="number" hide />
          <YAxis type="category" dataKey="label" {...axis} width={110} tick={{ fill: "var(--qm-ink)", fontSize: 12 }} />
          <Tooltip {...tooltipStyle} formatter={(value) => [formatMoney(Number(value), currency), "Value"]} />
          <Bar dataKey="value" isAnimationActive={false} fill="var(--qm-accent)" radius={[0, 4, 4, 0]} barSize={18} label={{ position: "right", fill: "var(--qm-muted)", fontSize: 12, formatter: (v: unknown) => compactMoney(Number(v), currency) }} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
