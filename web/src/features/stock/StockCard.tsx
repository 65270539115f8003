import { Warehouse as WarehouseIcon } from "lucide-react";
import { formatQuantity, isNegative } from "@/lib/format";
import { cn } from "@/lib/cn";
import { Card, CardHeader, EmptyState, Skeleton } from "@/ui/layout";
import { ErrorNotice } from "@/ui/Notice";
import { useProductStock } from "./api";

function Figure({ label, value, unit, testId, strong }: { label: string; value: string; unit: string; testId?: string; strong?: boolean }) {
  return (
    <div>
      <dt className="text-xs text-muted">{label}</dt>
      <dd data-testid={testId} className={cn("num text-xl font-semibold sm:text-2xl", strong && "text-accent-strong", isNegative(value) && "text-bad")}>
        {formatQuantity(value, unit)}
      </dd>
    </div>
  );
}

/** A product's stock in every warehouse and location; updated in place by live events. */
export function StockCard({ productId, unit, reorderPoint }: { productId: string; unit: string; reorderPoint: string }) {
  const { data, error, isLoading } = useProductStock(productId);
  if (isLoading) return <Card><Skeleton className="m-4 h-40" /></Card>;
  if (error || !data) return <ErrorNotice error={error} title="Stock could not be loaded" />;
  const low = Number(reorderPoint) > 0 && Number(data.totals.available) <= Number(reorderPoint);
  return (
    <Card>
      <CardHeader title="Stock" description={low ? "At or below the reorder point" : undefined} />
      <dl className="grid grid-cols-3 gap-3 border-b border-line p-4">
        <Figure label="Available" value={data.totals.available} unit={unit} testId="stock-available" strong />
        <Figure label="On hand" value={data.totals.on_hand} unit={unit} testId="stock-on-hand" />
        <Figure label="Reserved" value={data.totals.reserved} unit={unit} testId="stock-reserved" />
      </dl>
      {data.warehouses.length ? (
        <div className="divide-y divide-line">
          {data.warehouses.map((w) => (
            <details key={w.warehouse_id} open className="group">
              <summary className="flex cursor-pointer list-none items-center gap-3 px-4 py-3 text-sm hover:bg-raised">
                <WarehouseIcon className="size-4 text-muted" aria-hidden />
                <span className="flex-1 font-medium">
                  {w.name} <span className="font-mono text-xs text-muted">{w.code}</span>
                </span>
                <span className="num font-medium" data-testid={`warehouse-available-${w.code}`}>{formatQuantity(w.available, unit)}</span>
              </summary>
              <table className="mb-2 w-full text-sm">
                <caption className="sr-only">Locations of {w.name}</caption>
                <thead>
                  <tr className="text-xs text-muted">
                    <th scope="col" className="px-4 py-1 pl-11 text-left font-normal">Location</th>
                    <th scope="col" className="px-4 py-1 text-right font-normal">On hand</th>
                    <th scope="col" className="px-4 py-1 text-right font-normal">Reserved</th>
                    <th scope="col" className="px-4 py-1 text-right font-normal">Available</th>
                  </tr>
                </thead>
                <tbody>
                  {w.locations.map((l) => (
                    <tr key={l.location_id} data-testid={`location-${w.code}-${l.code}`}>
                      <td className="px-4 py-1 pl-11 font-mono text-xs">{l.code}</td>
                      <td className="num px-4 py-1 text-right">{formatQuantity(l.on_hand)}</td>
                      <td className="num px-4 py-1 text-right text-muted">{formatQuantity(l.reserved)}</td>
                      <td className={cn("num px-4 py-1 text-right font-medium", isNegative(l.available) && "text-bad")} data-testid="location-available">
                        {formatQuantity(l.available)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          ))}
        </div>
      ) : (
        <EmptyState title="Not in stock anywhere">Receive it into a location and it shows here at once.</EmptyState>
      )}
    </Card>
  );
}
