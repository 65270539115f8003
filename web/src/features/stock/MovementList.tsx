import { ArrowDownLeft, ArrowRightLeft, ArrowUpRight, ClipboardCheck, SlidersHorizontal } from "lucide-react";
import type { ReactNode } from "react";
import type { Schemas } from "@/api/client";
import { ProductLabel, useProductUnit } from "@/features/products";
import { useLocationIndex } from "@/features/warehouses";
import type { LocationInfo } from "@/features/warehouses";
import { formatQuantity, formatRelative, formatDateTime, isNegative } from "@/lib/format";
import { cn } from "@/lib/cn";

type Movement = Schemas["MovementRead"];

const KIND: Record<string, { label: string; icon: ReactNode }> = {
  receipt: { label: "Received", icon: <ArrowDownLeft className="size-4" aria-hidden /> },
  issue: { label: "Issued", icon: <ArrowUpRight className="size-4" aria-hidden /> },
  transfer: { label: "Moved", icon: <ArrowRightLeft className="size-4" aria-hidden /> },
  adjustment: { label: "Adjusted", icon: <SlidersHorizontal className="size-4" aria-hidden /> },
  count: { label: "Counted", icon: <ClipboardCheck className="size-4" aria-hidden /> },
};

function where(index: Map<string, LocationInfo>, id: string | null): string {
  if (!id) return "";
  const location = index.get(id);
  return location ? `${location.warehouseCode} · ${location.code}` : "…";
}

function Quantity({ movement }: { movement: Movement }) {
  const unit = useProductUnit(movement.product_id);
  const out = movement.kind === "issue";
  const negative = out || isNegative(movement.quantity);
  const text = formatQuantity(movement.quantity.replace(/^-/, ""), unit);
  return (
    <span className={cn("num font-medium", negative ? "text-warn" : movement.kind === "transfer" ? "text-ink" : "text-good")}>
      {movement.kind === "transfer" ? "" : negative ? "−" : "+"}
      {text}
    </span>
  );
}

/** Recent movements in plain words: "Received +24 pcs of Drill into MAIN · A-01-02". */
export function MovementList({ movements, showProduct = true }: { movements: Movement[]; showProduct?: boolean }) {
  const index = useLocationIndex();
  return (
    <ul className="divide-y divide-line">
      {movements.map((m) => {
        const kind = KIND[m.kind] ?? { label: m.kind, icon: null };
        const from = where(index, m.from_location_id);
        const to = where(index, m.to_location_id);
        return (
          <li key={m.id} className="flex items-start gap-3 px-4 py-3 text-sm">
            <span className="mt-0.5 rounded-md bg-raised p-1.5 text-muted">{kind.icon}</span>
            <div className="min-w-0 flex-1">
              <p className="flex flex-wrap items-baseline gap-x-2">
                <span className="text-muted">{kind.label}</span>
                <Quantity movement={m} />
                {showProduct ? <ProductLabel id={m.product_id} /> : null}
              </p>
              <p className="mt-0.5 truncate text-xs text-muted">
                {m.kind === "transfer" ? `${from} → ${to}` : from || to}
                {m.reason ? ` · ${m.reason}` : ""}
                {m.reference ? ` · ${m.reference}` : ""} · {m.recorded_by_label}
              </p>
            </div>
            <time dateTime={m.recorded_at} title={formatDateTime(m.recorded_at)} className="shrink-0 text-xs text-muted">
              {formatRelative(m.recorded_at)}
            </time>
          </li>
        );
      })}
    </ul>
  );
}
