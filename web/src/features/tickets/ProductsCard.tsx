import { useQueries, useQueryClient } from "@tanstack/react-query";
import { PackageCheck } from "lucide-react";
import { useRef, useState } from "react";
import { describeError } from "@/api/problem";
import { useAuth } from "@/auth/context";
import { ProductLabel, productQuery } from "@/features/products";
import { useProductStock } from "@/features/stock";
import { isDecimal } from "@/lib/decimal";
import { formatQuantity } from "@/lib/format";
import { Button } from "@/ui/Button";
import { SelectField, TextField } from "@/ui/Field";
import { Badge, Card, CardHeader } from "@/ui/layout";
import { Notice } from "@/ui/Notice";
import { reserveStock } from "./api";
import type { TicketDetail } from "./api";
import { ticketKeys } from "./keys";
import { ProductPicker } from "./ProductPicker";
import type { useTicketEdit } from "./useTicketEdit";

type Edit = ReturnType<typeof useTicketEdit>;

/** Reserve a replacement (RMA) for one of the linked products, where it is available. */
function ReserveForm({ ticket, onDone }: { ticket: TicketDetail; onDone: () => void }) {
  const [productId, setProductId] = useState(ticket.product_ids[0] ?? "");
  const [locationId, setLocationId] = useState("");
  const [quantity, setQuantity] = useState("1");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { data: stock } = useProductStock(productId || undefined);
  const client = useQueryClient();
  const products = useQueries({ queries: ticket.product_ids.map((id) => productQuery(id)) });
  const places = (stock?.warehouses ?? []).flatMap((w) => w.locations.map((l) => ({ ...l, warehouse: w.code })));
  // One Idempotency-Key per intended reservation: a retry of the same one after a lost
  // answer reserves once; another product, place or quantity is another reservation.
  const attempt = useRef<{ body: string; key: string } | null>(null);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!isDecimal(quantity) || Number(quantity) <= 0) return setError("Enter a quantity above 0.");
    if (!locationId) return setError("Pick where to reserve it from.");
    setBusy(true);
    setError(null);
    try {
      const body = { product_id: productId, location_id: locationId, quantity };
      if (attempt.current?.body !== JSON.stringify(body)) attempt.current = { body: JSON.stringify(body), key: crypto.randomUUID() };
      const saved = await reserveStock(ticket.id, body, attempt.current.key);
      client.setQueryData(ticketKeys.detail(saved.id), saved);
      onDone();
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} className="space-y-3 border-t border-line p-4" aria-label="Reserve a replacement">
      <SelectField label="Product" value={productId} onChange={(e) => setProductId(e.target.value)}>
        {ticket.product_ids.map((id, i) => (
          <option key={id} value={id}>
            {products[i]?.data ? `${products[i].data.name} (${products[i].data.sku})` : "…"}
          </option>
        ))}
      </SelectField>
      <SelectField label="From" value={locationId} onChange={(e) => setLocationId(e.target.value)} hint={places.length ? undefined : "Not in stock anywhere."}>
        <option value="">Pick a location</option>
        {places.map((l) => (
          <option key={l.location_id} value={l.location_id} disabled={Number(l.available) <= 0}>
            {l.warehouse} {l.code} — {formatQuantity(l.available)} available
          </option>
        ))}
      </SelectField>
      <TextField label="Quantity" inputMode="decimal" value={quantity} onChange={(e) => setQuantity(e.target.value)} />
      {error ? <Notice tone="bad">{error}</Notice> : null}
      <div className="flex justify-end gap-2">
        <Button size="sm" onClick={onDone}>
          Cancel
        </Button>
        <Button size="sm" type="submit" variant="primary" loading={busy}>
          Reserve
        </Button>
      </div>
    </form>
  );
}

/** Products the ticket is about, and stock reserved for it (an RMA replacement). */
export function ProductsCard({ ticket, edit, canWrite }: { ticket: TicketDetail; edit: Edit; canWrite: boolean }) {
  const { can } = useAuth();
  const [reserving, setReserving] = useState(false);
  const locked = !canWrite || ticket.status === "closed";
  const canReserve = !locked && can("reservations:write") && ticket.product_ids.length > 0;

  return (
    <Card>
      <CardHeader
        title="Products"
        actions={
          canReserve && !reserving ? (
            <Button size="sm" icon={<PackageCheck className="size-4" aria-hidden />} onClick={() => setReserving(true)}>
              Reserve
            </Button>
          ) : null
        }
      />
      <div className="space-y-3 p-4">
        {locked ? (
          ticket.product_ids.length ? (
            <ul className="space-y-1 text-sm">
              {ticket.product_ids.map((id) => (
                <li key={id}>
                  <ProductLabel id={id} />
                </li>
              ))}
            </ul>
          ) : (
            <p className="text-sm text-muted">No linked products.</p>
          )
        ) : (
          <ProductPicker label="Linked products" value={ticket.product_ids} onChange={(ids) => void edit.save({ product_ids: ids })} />
        )}
        {ticket.reservations.length ? (
          <div>
            <h3 className="mb-1 text-xs font-medium uppercase tracking-wide text-muted">Reserved for this ticket</h3>
            <ul className="space-y-1.5 text-sm" aria-label="Reservations">
              {ticket.reservations.map((r) => (
                <li key={r.reservation_id} className="flex flex-wrap items-center justify-between gap-2">
                  <span className="min-w-0">
                    <span className="num font-medium">{formatQuantity(r.quantity)}</span> × <ProductLabel id={r.product_id} />
                  </span>
                  <Badge tone={r.status === "active" ? "accent" : r.status === "fulfilled" ? "good" : "neutral"}>{r.status}</Badge>
                </li>
              ))}
            </ul>
          </div>
        ) : null}
      </div>
      {reserving ? <ReserveForm ticket={ticket} onDone={() => setReserving(false)} /> : null}
    </Card>
  );
}
