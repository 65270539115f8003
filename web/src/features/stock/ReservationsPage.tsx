import { Plus } from "lucide-react";
import { useState } from "react";
import { ButtonLink } from "@/ui/Button";
import { Card, EmptyState, PageHeader, Skeleton } from "@/ui/layout";
import { useReservations } from "./api";
import type { ReservationFilters } from "./keys";
import { ReservationList } from "./ReservationList";
import { cn } from "@/lib/cn";

const TABS: { status: NonNullable<ReservationFilters["status"]>; label: string }[] = [
  { status: "active", label: "Active" },
  { status: "fulfilled", label: "Fulfilled" },
  { status: "released", label: "Released" },
  { status: "expired", label: "Expired" },
];

export default function ReservationsPage() {
  const [status, setStatus] = useState<NonNullable<ReservationFilters["status"]>>("active");
  const { data } = useReservations({ status });
  return (
    <>
      <PageHeader
        title="Reservations"
        description="Stock held for orders. Fulfilling issues it; releasing makes it available again."
        actions={<ButtonLink to="/stock/reserve" variant="primary" icon={<Plus className="size-4" aria-hidden />}>Reserve stock</ButtonLink>}
      />
      <div role="tablist" aria-label="Status" className="mb-3 flex gap-1">
        {TABS.map((tab) => (
          <button
            key={tab.status}
            type="button"
            role="tab"
            aria-selected={status === tab.status}
            onClick={() => setStatus(tab.status)}
            className={cn("rounded-lg px-3 py-1.5 text-sm font-medium", status === tab.status ? "bg-accent-soft text-accent-strong" : "text-muted hover:bg-raised")}
          >
            {tab.label}
          </button>
        ))}
      </div>
      <Card>{data ? data.length ? <ReservationList reservations={data} /> : <EmptyState title={`No ${status} reservations`} /> : <Skeleton className="m-4 h-24" />}</Card>
    </>
  );
}
