import { Bell } from "lucide-react";
import { useState } from "react";
import { cn } from "@/lib/cn";
import { Card, EmptyState, PageHeader, Skeleton } from "@/ui/layout";
import { ErrorNotice } from "@/ui/Notice";
import { AlertList } from "./AlertList";
import { useAlerts } from "./api";
import type { AlertStatusFilter } from "./keys";

const TABS: { status: AlertStatusFilter; label: string; empty: string }[] = [
  { status: "open", label: "Open", empty: "Nothing is at or below its reorder point. New alerts appear here (and as a notice) the moment stock runs low." },
  { status: "acknowledged", label: "Acknowledged", empty: "No acknowledged alerts: acknowledge one to say it is being handled." },
  { status: "resolved", label: "Resolved", empty: "Alerts resolve by themselves when stock is back above the reorder point." },
];

export default function AlertsPage() {
  const [status, setStatus] = useState<AlertStatusFilter>("open");
  const { data, error } = useAlerts(status);
  const tab = TABS.find((t) => t.status === status) ?? TABS[0]!;
  return (
    <>
      <PageHeader title="Low-stock alerts" description="One per product and warehouse while available stock is at or below the reorder point." />
      <div role="tablist" aria-label="Alert status" className="mb-3 flex gap-1">
        {TABS.map((t) => (
          <button
            key={t.status}
            type="button"
            role="tab"
            aria-selected={status === t.status}
            onClick={() => setStatus(t.status)}
            className={cn("rounded-lg px-3 py-1.5 text-sm font-medium", status === t.status ? "bg-accent-soft text-accent-strong" : "text-muted hover:bg-raised")}
          >
            {t.label}
          </button>
        ))}
      </div>
      {error ? <ErrorNotice error={error} /> : null}
      <Card role="tabpanel">{data ? data.length ? <AlertList alerts={data} /> : <EmptyState icon={<Bell />} title={`No ${tab.label.toLowerCase()} alerts`}>{tab.empty}</EmptyState> : <Skeleton className="m-4 h-24" />}</Card>
    </>
  );
}
