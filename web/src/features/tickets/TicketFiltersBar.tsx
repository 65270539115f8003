import { Search, SlidersHorizontal } from "lucide-react";
import { useEffect, useState } from "react";
import { useDebounced } from "@/lib/useDebounced";
import { cn } from "@/lib/cn";
import { Button } from "@/ui/Button";
import { inputClass } from "@/ui/Field";
import { PRIORITY_LABELS, STATUS_LABELS } from "./badges";
import { useTeams } from "./desk";
import { DEFAULT_FILTERS, PRIORITIES, STATUSES, isFiltered, paramsFrom } from "./filters";
import type { TicketFilters } from "./filters";

const select = `${inputClass} h-10 text-sm`;

interface Props {
  filters: TicketFilters;
  onChange: (changes: Partial<TicketFilters>) => void;
}

/** Search and filters; every choice is in the URL (a filtered queue can be bookmarked). */
export function TicketFiltersBar({ filters, onChange }: Props) {
  const { data: teams } = useTeams();
  const [term, setTerm] = useState(filters.q);
  const q = useDebounced(term, 250);
  const [tag, setTag] = useState(filters.tag ?? "");
  // On a phone the filters fold away behind one button; a desk screen shows them all.
  const [open, setOpen] = useState(false);
  const clear = () => {
    setTerm("");
    setTag("");
    onChange({ ...DEFAULT_FILTERS, sort: filters.sort, order: filters.order });
  };
  const active = paramsFrom({ ...filters, q: "", sort: "created_at", order: "desc" }).size;
  useEffect(() => {
    if (q !== filters.q) onChange({ q });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only when the typed term settles
  }, [q]);

  return (
    <div className="space-y-2 border-b border-line p-3">
      <div className="flex gap-2">
        <label className="relative min-w-0 flex-1">
          <span className="sr-only">Search tickets</span>
          <Search className="pointer-events-none absolute left-3 top-3 size-4 text-muted" aria-hidden />
          <input data-search type="search" value={term} onChange={(e) => setTerm(e.target.value)} placeholder="Subject or QM-1042" className={`${inputClass} h-10 pl-9 text-sm`} />
        </label>
        <Button className="md:hidden" aria-expanded={open} onClick={() => setOpen(!open)} icon={<SlidersHorizontal className="size-4" aria-hidden />}>
          Filters{active ? ` (${active})` : ""}
        </Button>
        {isFiltered(filters) ? (
          <Button
            variant="ghost"
            className="hidden md:inline-flex"
            onClick={clear}
          >
            Clear filters
          </Button>
        ) : null}
      </div>
      <div className={cn("grid grid-cols-2 gap-2 md:grid md:grid-cols-4 xl:grid-cols-7", open ? "grid" : "hidden")}>
      <label className="min-w-0">
        <span className="sr-only">Status</span>
        <select value={filters.status} onChange={(e) => onChange({ status: e.target.value as TicketFilters["status"] })} className={select}>
          <option value="active">Needs work</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>{STATUS_LABELS[s]}</option>
          ))}
          <option value="all">Any status</option>
        </select>
      </label>
      <label className="min-w-0">
        <span className="sr-only">Priority</span>
        <select value={filters.priority ?? ""} onChange={(e) => onChange({ priority: (e.target.value || null) as TicketFilters["priority"] })} className={select}>
          <option value="">Any priority</option>
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>{PRIORITY_LABELS[p]}</option>
          ))}
        </select>
      </label>
      <label className="min-w-0">
        <span className="sr-only">Team</span>
        <select value={filters.teamId ?? ""} onChange={(e) => onChange({ teamId: e.target.value || null })} className={select}>
          <option value="">Any team</option>
          {(teams ?? []).map((t) => (
            <option key={t.id} value={t.id}>{t.name}</option>
          ))}
        </select>
      </label>
      <label className="min-w-0">
        <span className="sr-only">Assignee</span>
        <select value={filters.assignee ?? ""} onChange={(e) => onChange({ assignee: (e.target.value || null) as TicketFilters["assignee"] })} className={select}>
          <option value="">Anyone</option>
          <option value="me">Assigned to me</option>
          <option value="none">Unassigned</option>
        </select>
      </label>
      <label className="min-w-0">
        <span className="sr-only">SLA</span>
        <select value={filters.sla ?? ""} onChange={(e) => onChange({ sla: (e.target.value || null) as TicketFilters["sla"] })} className={select}>
          <option value="">Any SLA</option>
          <option value="due_soon">Due within the hour</option>
          <option value="breached">Breached</option>
        </select>
      </label>
      <form
        className="min-w-0"
        onSubmit={(e) => {
          e.preventDefault();
          onChange({ tag: tag.trim().toLowerCase() || null });
        }}
      >
        <label>
          <span className="sr-only">Tag</span>
          <input value={tag} onChange={(e) => setTag(e.target.value)} onBlur={() => onChange({ tag: tag.trim().toLowerCase() || null })} placeholder="Tag" className={`${inputClass} h-10 text-sm`} />
        </label>
      </form>
      <label className="min-w-0">
        <span className="sr-only">Sort</span>
        <select
          value={`${filters.sort}:${filters.order}`}
          onChange={(e) => {
            const [sort, order] = e.target.value.split(":") as [TicketFilters["sort"], TicketFilters["order"]];
            onChange({ sort, order });
          }}
          className={select}
        >
          <option value="created_at:desc">Newest first</option>
          <option value="created_at:asc">Oldest first</option>
          <option value="updated_at:desc">Recently changed</option>
          <option value="priority:desc">Most urgent first</option>
          <option value="resolution_due_at:asc">Due soonest</option>
          <option value="number:desc">Number</option>
        </select>
      </label>
        {isFiltered(filters) ? (
          <Button variant="ghost" className="md:hidden" onClick={clear}>
            Clear filters
          </Button>
        ) : null}
      </div>
    </div>
  );
}
