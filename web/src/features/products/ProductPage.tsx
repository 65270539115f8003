import { ArrowRightLeft, Minus, Pencil, Plus } from "lucide-react";
import { useParams } from "react-router";
import { useCan } from "@/auth/context";
import { AlertList, useAlerts } from "@/features/alerts";
import { MovementList, ReservationList, StockCard, useMovements, useReservations } from "@/features/stock";
import { formatQuantity } from "@/lib/format";
import { ButtonLink } from "@/ui/Button";
import { Badge, Card, CardHeader, EmptyState, Skeleton } from "@/ui/layout";
import { ErrorNotice } from "@/ui/Notice";
import { useCategories, useProduct } from "./api";
import { PriceCard } from "./PriceCard";

export default function ProductPage() {
  const { productId = "" } = useParams();
  const { data: product, error, isLoading } = useProduct(productId);
  const { data: categories } = useCategories();
  const canEdit = useCan("catalog:write");
  const canMove = useCan("stock:write");
  const movements = useMovements({ productId, limit: 15 });
  const reservations = useReservations({ productId, status: "active" });
  const alerts = useAlerts("open", productId, 20);

  if (isLoading) return <Skeleton className="h-64 w-full" />;
  if (error || !product) return <ErrorNotice error={error} title="This product could not be loaded" />;
  const category = categories?.find((c) => c.id === product.category_id);
  const code = encodeURIComponent(product.barcode ?? product.sku);

  return (
    <>
      <div className="mb-6 flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
          <p className="text-sm text-muted">{category?.path ?? "No category"}</p>
          <h1 className="text-2xl font-semibold tracking-tight">{product.name}</h1>
          <p className="mt-1 flex flex-wrap items-center gap-2 text-sm text-muted">
            <span className="font-mono">{product.sku}</span>
            {product.barcode ? <span className="font-mono">· {product.barcode}</span> : null}
            {!product.is_active ? <Badge>Archived</Badge> : null}
            {alerts.data?.length ? <Badge tone="warn">Low stock</Badge> : null}
          </p>
        </div>
        <div className="flex flex-wrap gap-2">
          {canMove && product.is_active ? (
            <>
              <ButtonLink to={`/stock/receive?product=${code}`} variant="primary" icon={<Plus className="size-4" aria-hidden />}>Receive</ButtonLink>
              <ButtonLink to={`/stock/issue?product=${code}`} icon={<Minus className="size-4" aria-hidden />}>Issue</ButtonLink>
              <ButtonLink to={`/stock/transfer?product=${code}`} icon={<ArrowRightLeft className="size-4" aria-hidden />}>Move</ButtonLink>
            </>
          ) : null}
          {canEdit ? <ButtonLink to={`/products/${product.id}/edit`} icon={<Pencil className="size-4" aria-hidden />}>Edit</ButtonLink> : null}
        </div>
      </div>

      <div className="grid gap-6 lg:grid-cols-3">
        <div className="min-w-0 space-y-6 lg:col-span-2">
          <StockCard productId={product.id} unit={product.unit} reorderPoint={product.reorder_point} />
          <Card>
            <CardHeader title="Movements" description="The latest 15" />
            {movements.data?.length ? <MovementList movements={movements.data} showProduct={false} /> : movements.data ? <EmptyState title="No movements yet" /> : <Skeleton className="m-4 h-24" />}
          </Card>
        </div>
        <div className="min-w-0 space-y-6">
          <Card>
            <CardHeader title="Details" />
            <dl className="grid grid-cols-2 gap-x-4 gap-y-3 p-4 text-sm">
              <dt className="text-muted">Unit</dt>
              <dd>{product.unit}</dd>
              <dt className="text-muted">Reorder point</dt>
              <dd className="num">{Number(product.reorder_point) > 0 ? formatQuantity(product.reorder_point, product.unit) : "—"}</dd>
              <dt className="text-muted">Reorder quantity</dt>
              <dd className="num">{Number(product.reorder_quantity) > 0 ? formatQuantity(product.reorder_quantity, product.unit) : "—"}</dd>
              {Object.entries(product.attributes).map(([key, value]) => (
                <div key={key} className="contents">
                  <dt className="text-muted first-letter:uppercase">{key.replace(/_/g, " ")}</dt>
                  <dd>{typeof value === "string" || typeof value === "number" ? String(value) : JSON.stringify(value)}</dd>
                </div>
              ))}
            </dl>
            {product.description ? <p className="border-t border-line p-4 text-sm text-muted">{product.description}</p> : null}
          </Card>
          <PriceCard productId={product.id} />
          {alerts.data?.length ? (
            <Card>
              <CardHeader title="Low-stock alerts" />
              <AlertList alerts={alerts.data} showProduct={false} />
            </Card>
          ) : null}
          <Card>
            <CardHeader title="Reservations" description="Active" />
            {reservations.data?.length ? <ReservationList reservations={reservations.data} showProduct={false} /> : <EmptyState title="None active" />}
          </Card>
        </div>
      </div>
    </>
  );
}
