import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatDate, formatMoney } from "@/lib/format";
import { Card, CardHeader, EmptyState, Skeleton } from "@/ui/layout";
import { useProductPrices } from "./api";

const PALETTE = ["var(--qm-accent)", "var(--qm-warn)", "var(--qm-good)", "var(--qm-bad)"];

/** Current price per price list and the price history as a step chart. */
export function PriceCard({ productId }: { productId: string }) {
  const { data, isLoading } = useProductPrices(productId);
  if (isLoading) return <Card><Skeleton className="m-4 h-40" /></Card>;
  const lists = [...new Map((data?.history ?? []).map((p) => [p.price_list_id, p.price_list_name])).entries()];
  const points = [...(data?.history ?? [])]
    .sort((a, b) => a.effective_from.localeCompare(b.effective_from))
    .map((p) => ({ at: p.effective_from, [p.price_list_id]: Number(p.amount) }));
  const currency = data?.current[0]?.currency ?? null;
  return (
    <Card>
      <CardHeader title="Price" />
      {data?.current.length ? (
        <div className="space-y-4 p-4">
          <dl className="grid grid-cols-2 gap-3">
            {data.current.map((p) => (
              <div key={p.id}>
                <dt className="text-xs text-muted">{p.price_list_name}</dt>
                <dd className="num text-lg font-semibold">{formatMoney(p.amount, p.currency)}</dd>
              </div>
            ))}
          </dl>
          {points.length > 1 ? (
            <div className="h-40" role="img" aria-label="Price history chart">
              <ResponsiveContainer width="100%" height="100%">
                <LineChart data={points} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
                  <CartesianGrid vertical={false} stroke="var(--qm-line)" />
                  <XAxis dataKey="at" tickFormatter={(v: string) => formatDate(v)} stroke="var(--qm-muted)" fontSize={11} tickLine={false} axisLine={false} minTickGap={24} />
                  <YAxis stroke="var(--qm-muted)" fontSize={11} tickLine={false} axisLine={false} width={44} domain={["auto", "auto"]} />
                  <Tooltip
                    contentStyle={{ background: "var(--qm-surface)", border: "1px solid var(--qm-line)", borderRadius: 8 }}
                    labelFormatter={(v) => formatDate(String(v))}
                    formatter={(value, name) => [formatMoney(Number(value), currency), lists.find(([id]) => id === name)?.[1] ?? String(name)]}
                  />
                  {lists.map(([id], i) => (
                    <Line key={id} type="stepAfter" dataKey={id} stroke={PALETTE[i % PALETTE.length]} strokeWidth={2} dot={false} connectNulls isAnimationActive={false} />
                  ))}
                </LineChart>
              </ResponsiveContainer>
            </div>
          ) : null}
        </div>
      ) : (
        <EmptyState title="No price yet">Prices are set per price list; each change is kept as history.</EmptyState>
      )}
    </Card>
  );
}
