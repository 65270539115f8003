import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Check } from "lucide-react";
import type { Alert } from "@/api/client";
import { describeError } from "@/api/problem";
import { useCan } from "@/auth/context";
import { ProductLabel } from "@/features/products";
import { useWarehouses } from "@/features/warehouses";
import { formatDateTime, formatRelative } from "@/lib/format";
import { Button } from "@/ui/Button";
import { Badge } from "@/ui/layout";
import { useToast } from "@/ui/toast-context";
import { acknowledgeAlert } from "./api";
import { alertKeys } from "./keys";

const STATUS = {
  open: { tone: "warn", label: "Open" },
  acknowledged: { tone: "neutral", label: "Acknowledged" },
  resolved: { tone: "good", label: "Resolved" },
} as const;

export function AlertList({ alerts, compact = false, showProduct = true }: { alerts: Alert[]; compact?: boolean; showProduct?: boolean }) {
  const { data: warehouses } = useWarehouses();
  const canAcknowledge = useCan("stock:write");
  const client = useQueryClient();
  const toast = useToast();
  const acknowledge = useMutation({
    mutationFn: acknowledgeAlert,
    onSuccess: () => client.invalidateQueries({ queryKey: alertKeys.all }),
    onError: (error) => toast({ tone: "bad", title: "Could not acknowledge", body: describeError(error) }),
  });
  return (
    <ul className="divide-y divide-line">
      {alerts.map((alert) => {
        const warehouse = warehouses?.find((w) => w.id === alert.warehouse_id);
        const status = STATUS[alert.status];
        return (
          <li key={alert.id} className={compact ? "flex items-center gap-3 px-4 py-2 text-sm" : "flex flex-wrap items-center gap-x-3 gap-y-1 px-4 py-3 text-sm"}>
            <div className="min-w-0 flex-1 truncate">
              {showProduct ? <ProductLabel id={alert.product_id} /> : null}
              <p className={showProduct ? "mt-0.5 truncate text-xs text-muted" : "truncate text-sm"}>
                {compact ? "" : "At or below its reorder point in "}
                {warehouse ? (compact ? warehouse.code : `${warehouse.code} (${warehouse.name})`) : "a warehouse"} ·{" "}
                <time dateTime={alert.raised_at} title={formatDateTime(alert.raised_at)}>
                  {formatRelative(alert.raised_at)}
                </time>
              </p>
            </div>
            {compact ? null : <Badge tone={status.tone}>{status.label}</Badge>}
            {canAcknowledge && alert.status === "open" && !compact ? (
              <Button size="sm" icon={<Check className="size-4" aria-hidden />} loading={acknowledge.isPending && acknowledge.variables === alert.id} onClick={() => acknowledge.mutate(alert.id)}>
                Acknowledge
              </Button>
            ) : null}
          </li>
        );
      })}
    </ul>
  );
}
