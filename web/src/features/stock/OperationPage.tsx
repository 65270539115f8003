import { useQueryClient } from "@tanstack/react-query";
import { CheckCircle2 } from "lucide-react";
import { useEffect, useRef, useState } from "react";
import type { FormEvent } from "react";
import { Link, Navigate, useParams, useSearchParams } from "react-router";
import type { Location, Product } from "@/api/client";
import { findProductByCode } from "@/features/products";
import { useLocationIndex } from "@/features/warehouses";
import { isDecimal } from "@/lib/decimal";
import { formatQuantity } from "@/lib/format";
import { Button } from "@/ui/Button";
import { TextField } from "@/ui/Field";
import { Card } from "@/ui/layout";
import { Notice } from "@/ui/Notice";
import { useToast } from "@/ui/toast-context";
import { createReservation, recordMovements, useLocationLevel } from "./api";
import { OPERATIONS, errorsFrom, movementLine } from "./operations";
import type { Errors, OperationKind } from "./operations";
import { LocationPicker, ProductScanField } from "./ScanFields";

function LevelHint({ product, location }: { product: Product | null; location: Location | null }) {
  const { data } = useLocationLevel(product?.id, location?.id);
  if (!product || !location) return null;
  return (
    <p className="text-sm text-muted" data-testid="level-hint">
      Available here: <span className="num font-medium text-ink">{formatQuantity(data?.available ?? "0", product.unit)}</span>
      {data && Number(data.reserved) > 0 ? ` (${formatQuantity(data.reserved)} reserved)` : ""}
    </p>
  );
}

export default function OperationPage() {
  const { operation = "" } = useParams();
  const op = OPERATIONS[operation as OperationKind];
  const [params] = useSearchParams();
  const client = useQueryClient();
  const toast = useToast();
  const locations = useLocationIndex();
  const [product, setProduct] = useState<Product | null>(null);
  const [location, setLocation] = useState<Location | null>(null);
  const [target, setTarget] = useState<Location | null>(null);
  const [quantity, setQuantity] = useState(op?.kind === "adjust" ? "" : "1");
  const [unitCost, setUnitCost] = useState("");
  const [reason, setReason] = useState("");
  const [reference, setReference] = useState("");
  const [expires, setExpires] = useState("");
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const [last, setLast] = useState<string | null>(null);
  // One key per intended write: a retry after a lost answer is recorded once.
  const key = useRef(crypto.randomUUID());
  const productInput = useRef<HTMLInputElement>(null);
  const quantityInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    key.current = crypto.randomUUID();
  }, [product, location, target, quantity, unitCost, reason, reference]);

  useEffect(() => {
    const code = params.get("product");
    if (code) void findProductByCode(client, code).then((found) => found && setProduct(found));
  }, [params, client]);

  useEffect(() => {
    if (product) quantityInput.current?.focus();
  }, [product]);

  if (!op) return <Navigate to="/stock" replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found: Errors = {};
    if (!location) found.location = "Scan or pick the location first.";
    if (op.needsTarget && !target) found.target = "Where does it go?";
    if (!isDecimal(quantity) || (!op.signed && Number(quantity) <= 0) || Number(quantity) === 0) {
      found.quantity = op.signed ? "Enter a change such as 5 or -2." : "Enter a quantity above 0.";
    }
    if (op.reasonRequired && !reason.trim()) found.reason = "Say why (e.g. damaged, found in aisle).";
    if (op.referenceRequired && !reference.trim()) found.reference = "An order or job number, e.g. SO-1042.";
    if (!product) found.form = "Scan a product.";
    setErrors(found);
    if (Object.keys(found).length || !product || !location) return;
    setBusy(true);
    try {
      const where = locations.get(location.id);
      const place = where ? `${where.warehouseCode} · ${where.code}` : location.code;
      const amount = formatQuantity(quantity.replace(/^-/, ""), product.unit);
      if (op.kind === "reserve") {
        await createReservation(
          { product_id: product.id, location_id: location.id, quantity, reference: reference.trim(), expires_at: expires ? new Date(expires).toISOString() : null },
          key.current,
        );
      } else {
        await recordMovements({ lines: [movementLine(op, { product, location, target, quantity, unitCost, reason })], reference: reference.trim() || null }, key.current);
      }
      const done = `${op.verb === "Adjust" ? "Adjusted" : op.verb === "Move" ? "Moved" : `${op.verb}d`} ${op.signed && quantity.startsWith("-") ? "−" : ""}${amount} of ${product.name} ${op.kind === "receive" ? "into" : "at"} ${place}`;
      setLast(done);
      toast({ tone: "good", title: done });
      setProduct(null);
      setQuantity(op.kind === "adjust" ? "" : "1");
      setUnitCost("");
      setReason("");
      setErrors({});
      productInput.current?.focus();
    } catch (error) {
      setErrors(errorsFrom(error, product.unit));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="mx-auto max-w-xl">
      <p className="text-sm text-muted">
        <Link to="/stock" className="hover:underline">Stock</Link> /
      </p>
      <h1 className="text-2xl font-semibold tracking-tight">{op.title}</h1>
      <p className="mt-1 text-sm text-muted">{op.help}</p>
      <Card className="mt-5 p-4 sm:p-5">
        <form onSubmit={submit} noValidate className="space-y-5">
          <LocationPicker label={op.locationLabel} value={location} onChange={setLocation} error={errors.location} autoFocus={!location} />
          {op.needsTarget ? <LocationPicker label="To" value={target} onChange={setTarget} error={errors.target} remember={false} /> : null}
          <ProductScanField label="Product" value={product} onChange={setProduct} inputRef={productInput} autoFocus={!!location} />
          <LevelHint product={product} location={location} />
          <div className="grid gap-4 sm:grid-cols-2">
            <TextField
              ref={quantityInput}
              label={`${op.quantityLabel}${product ? ` (${product.unit})` : ""}`}
              big
              inputMode={op.signed ? "text" : "decimal"}
              className="num"
              value={quantity}
              error={errors.quantity}
              onChange={(event) => setQuantity(event.target.value)}
              onFocus={(event) => event.target.select()}
            />
            {op.unitCost ? <TextField label="Unit cost (optional)" big inputMode="decimal" className="num" value={unitCost} onChange={(e) => setUnitCost(e.target.value)} hint="Updates the average cost." /> : null}
          </div>
          {op.reasonRequired ? <TextField label="Reason" value={reason} error={errors.reason} onChange={(e) => setReason(e.target.value)} placeholder="Damaged in transit" /> : null}
          <TextField
            label={op.referenceRequired ? "Order reference" : "Reference (optional)"}
            value={reference}
            error={errors.reference}
            onChange={(e) => setReference(e.target.value)}
            placeholder={op.kind === "receive" ? "PO-1042" : "SO-1042"}
            hint="Kept for the next items too."
          />
          {op.expires ? <TextField label="Hold until (optional)" type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} hint="Released automatically then." /> : null}
          {errors.form ? <Notice tone="bad">{errors.form}</Notice> : null}
          <Button type="submit" variant="primary" size="lg" className="w-full" loading={busy}>
            {op.verb}
          </Button>
          {last ? (
            <p className="flex items-center gap-2 text-sm text-good" role="status">
              <CheckCircle2 className="size-4" aria-hidden /> {last}
            </p>
          ) : null}
        </form>
      </Card>
    </div>
  );
}
