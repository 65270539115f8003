import { useMutation, useQueryClient } from "@tanstack/react-query";
import { describeError } from "@/api/problem";
import { useCan } from "@/auth/context";
import { ProductLabel, useProductUnit } from "@/features/products";
import { useLocationIndex } from "@/features/warehouses";
import { formatDateTime, formatQuantity } from "@/lib/format";
import { Button } from "@/ui/Button";
import { Badge } from "@/ui/layout";
import { useToast } from "@/ui/toast-context";
import { fulfilReservation, releaseReservation } from "./api";
import type { Reservation } from "./api";
import { stockKeys } from "./keys";

function Qty({ reservation }: { reservation: Reservation }) {
  const unit = useProductUnit(reservation.product_id);
  return <span className="num font-medium">{formatQuantity(reservation.quantity, unit)}</span>;
}

/** Reservations with their two endings: fulfil (becomes an issue) or release. */
export function ReservationList({ reservations, showProduct = true }: { reservations: Reservation[]; showProduct?: boolean }) {
  const canWrite = useCan("reservations:write");
  const index = useLocationIndex();
  const client = useQueryClient();
  const toast = useToast();
  const act = useMutation({
    mutationFn: ({ id, action }: { id: string; action: "fulfil" | "release" }) => (action === "fulfil" ? fulfilReservation(id) : releaseReservation(id)),
    onSuccess: (result, { action }) => {
      toast({ tone: "good", title: action === "fulfil" ? `Fulfilled ${result.reference}` : `Released ${result.reference}` });
      void client.invalidateQueries({ queryKey: stockKeys.reservationLists() });
    },
    onError: (error) => toast({ tone: "bad", title: "Not done", body: describeError(error) }),
  });
  return (
    <ul className="divide-y divide-line">
      {reservations.map((r) => {
        const location = index.get(r.location_id);
        return (
          <li key={r.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 px-4 py-3 text-sm">
            <div className="min-w-0 flex-1">
              <p className="flex flex-wrap items-baseline gap-x-2">
                <Qty reservation={r} />
                {showProduct ? <ProductLabel id={r.product_id} /> : null}
                <span className="font-medium">{r.reference}</span>
              </p>
              <p className="mt-0.5 text-xs text-muted">
                {location ? `${location.warehouseCode} · ${location.code}` : "…"}
                {r.expires_at ? ` · expires ${formatDateTime(r.expires_at)}` : ""}
              </p>
            </div>
            {r.status === "active" && canWrite ? (
              <div className="flex gap-2">
                <Button size="sm" variant="primary" loading={act.isPending && act.variables?.id === r.id && act.variables.action === "fulfil"} onClick={() => act.mutate({ id: r.id, action: "fulfil" })}>
                  Fulfil
                </Button>
                <Button size="sm" loading={act.isPending && act.variables?.id === r.id && act.variables.action === "release"} onClick={() => act.mutate({ id: r.id, action: "release" })}>
                  Release
                </Button>
              </div>
            ) : (
              <Badge tone={r.status === "active" ? "accent" : "neutral"}>{r.status}</Badge>
            )}
          </li>
        );
      })}
    </ul>
  );
}
