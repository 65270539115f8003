import { ArrowDownLeft, ArrowRightLeft, ArrowUpRight, ClipboardList, Lock, SlidersHorizontal } from "lucide-react";
import type { ReactNode } from "react";
import { Link } from "react-router";
import { useCan } from "@/auth/context";
import { Card, CardHeader, EmptyState, PageHeader, Skeleton } from "@/ui/layout";
import { useMovements } from "./api";
import { MovementList } from "./MovementList";

function Tile({ to, icon, title, text }: { to: string; icon: ReactNode; title: string; text: string }) {
  return (
    <Link to={to} className="flex items-center gap-4 rounded-xl border border-line bg-surface p-4 shadow-sm hover:border-accent hover:bg-accent-soft focus-visible:bg-accent-soft">
      <span className="rounded-lg bg-accent-soft p-3 text-accent-strong [&>svg]:size-6">{icon}</span>
      <span>
        <span className="block text-base font-semibold">{title}</span>
        <span className="block text-sm text-muted">{text}</span>
      </span>
    </Link>
  );
}

/** The warehouse screen: one big button per job (receive, pick, move, count). */
export default function StockHome() {
  const canReserve = useCan("reservations:write");
  const recent = useMovements({ limit: 10 });
  return (
    <>
      <PageHeader title="Stock" description="Pick a job. Each works with a barcode scanner: scan, then Enter." />
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
        <Tile to="/stock/receive" icon={<ArrowDownLeft />} title="Receive" text="Goods in, into a bin" />
        <Tile to="/stock/issue" icon={<ArrowUpRight />} title="Issue" text="Goods out: picked, sold, used" />
        <Tile to="/stock/transfer" icon={<ArrowRightLeft />} title="Move" text="Bin to bin, or to another warehouse" />
        <Tile to="/counts" icon={<ClipboardList />} title="Count" text="Cycle count — works offline" />
        <Tile to="/stock/adjust" icon={<SlidersHorizontal />} title="Adjust" text="Found, damaged, lost — with a reason" />
        {canReserve ? <Tile to="/stock/reservations" icon={<Lock />} title="Reservations" text="Hold stock for orders; fulfil or release" /> : null}
      </div>
      <Card className="mt-6">
        <CardHeader title="Latest movements" />
        {recent.data?.length ? <MovementList movements={recent.data} /> : recent.data ? <EmptyState title="Nothing recorded yet" /> : <Skeleton className="m-4 h-24" />}
      </Card>
    </>
  );
}
