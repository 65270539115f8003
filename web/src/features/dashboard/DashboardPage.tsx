import { Bell, PackagePlus, ScanBarcode, UploadCloud } from "lucide-react";
import { Link } from "react-router";
import { useAuth } from "@/auth/context";
import { AlertList, useAlerts } from "@/features/alerts";
import { MovementList, useMovements } from "@/features/stock";
import { formatMoney, formatQuantity } from "@/lib/format";
import { ButtonLink } from "@/ui/Button";
import { Card, CardHeader, EmptyState, PageHeader, Skeleton, Stat } from "@/ui/layout";
import { ErrorNotice } from "@/ui/Notice";
import { useMovementReport, useStockValueByCategory, useStockValueByWarehouse } from "./api";
import { MovementsChart, ValueBars } from "./charts";

export default function DashboardPage() {
  const { me, can } = useAuth();
  const byWarehouse = useStockValueByWarehouse();
  const byCategory = useStockValueByCategory();
  const report = useMovementReport(30);
  const alerts = useAlerts("open", undefined, 100);
  const recent = useMovements({ limit: 8 });
  const currency = byWarehouse.data?.currency ?? null;
  const empty = byWarehouse.data && Number(byWarehouse.data.total.quantity) === 0 && recent.data?.length === 0;

  return (
    <>
      <PageHeader
        title="Dashboard"
        description={me ? `${me.tenant.name} — stock value, movements and low stock, live.` : undefined}
        actions={
          can("stock:write") ? (
            <>
              <ButtonLink to="/counts" icon={<ScanBarcode className="size-4" aria-hidden />}>Count</ButtonLink>
              <ButtonLink to="/stock/receive" variant="primary" icon={<PackagePlus className="size-4" aria-hidden />}>
                Receive stock
              </ButtonLink>
            </>
          ) : null
        }
      />
      {byWarehouse.error ? <ErrorNotice error={byWarehouse.error} title="The figures could not be loaded" /> : null}

      {empty ? (
        <Card className="mb-6">
          <EmptyState
            icon={<PackagePlus />}
            title="No stock yet"
            action={
              <>
                {can("catalog:write") ? <ButtonLink to="/products/new" variant="primary">Add a product</ButtonLink> : null}
                {can("catalog:write") ? <ButtonLink to="/jobs" icon={<UploadCloud className="size-4" aria-hidden />}>Import a CSV</ButtonLink> : null}
                {can("stock:write") ? <ButtonLink to="/stock/receive">Receive stock</ButtonLink> : null}
              </>
            }
          >
            Add products (or import them from a spreadsheet), then receive stock into a warehouse. This page fills up as stock moves.
          </EmptyState>
        </Card>
      ) : null}

      <section aria-label="Totals" className="mb-6 grid grid-cols-2 gap-4 lg:grid-cols-4">
        <Card className="p-4">
          {byWarehouse.data ? <Stat label="Stock value" value={formatMoney(byWarehouse.data.total.value, currency)} hint="At moving-average cost" /> : <Skeleton className="h-14" />}
        </Card>
        <Card className="p-4">
          {byWarehouse.data ? <Stat label="Units on hand" value={formatQuantity(byWarehouse.data.total.quantity)} hint={`${byWarehouse.data.groups.length} warehouse${byWarehouse.data.groups.length === 1 ? "" : "s"}`} /> : <Skeleton className="h-14" />}
        </Card>
        <Card className="p-4">
          {report.data ? <Stat label="In, last 30 days" value={formatQuantity(report.data.total.in)} hint={`Out: ${formatQuantity(report.data.total.out)}`} /> : <Skeleton className="h-14" />}
        </Card>
        <Card className="p-4">
          {alerts.data ? (
            <Link to="/alerts" className="block">
              <Stat label="Low-stock alerts" value={alerts.data.length >= 100 ? "100+" : alerts.data.length} hint="Open: at or below the reorder point" />
            </Link>
          ) : (
            <Skeleton className="h-14" />
          )}
        </Card>
      </section>

      <div className="grid gap-6 lg:grid-cols-3">
        <Card className="lg:col-span-2">
          <CardHeader title="Stock in and out" description="Per day, last 30 days (hover for figures)" />
          <div className="p-4">{report.data ? <MovementsChart buckets={report.data.buckets} /> : <Skeleton className="h-64" />}</div>
        </Card>
        <Card>
          <CardHeader title="Low stock" actions={<Link to="/alerts" className="text-sm font-medium text-accent hover:underline">All alerts</Link>} />
          {alerts.data?.length ? (
            <AlertList alerts={alerts.data.slice(0, 7)} compact />
          ) : alerts.data ? (
            <EmptyState icon={<Bell />} title="Nothing is low">Products at or below their reorder point show up here the moment it happens.</EmptyState>
          ) : (
            <Skeleton className="m-4 h-32" />
          )}
        </Card>
        <Card>
          <CardHeader title="Value by warehouse" />
          <div className="p-4">
            {byWarehouse.data ? (
              <ValueBars currency={currency} rows={byWarehouse.data.groups.map((g) => ({ key: g.warehouse_id, label: g.code, value: Number(g.value) }))} />
            ) : (
              <Skeleton className="h-32" />
            )}
          </div>
        </Card>
        <Card>
          <CardHeader title="Value by category" description="The eight largest" />
          <div className="p-4">
            {byCategory.data ? (
              <ValueBars
                currency={byCategory.data.currency}
                rows={[...byCategory.data.groups]
                  .sort((a, b) => Number(b.value) - Number(a.value))
                  .slice(0, 8)
                  .map((g) => ({ key: g.category_id ?? "none", label: g.name ?? "No category", value: Number(g.value) }))}
              />
            ) : (
              <Skeleton className="h-32" />
            )}
          </div>
        </Card>
        <Card>
          <CardHeader title="Recent activity" />
          {recent.data?.length ? <MovementList movements={recent.data} /> : recent.data ? <EmptyState title="No movements yet" /> : <Skeleton className="m-4 h-32" />}
        </Card>
      </div>
    </>
  );
}
