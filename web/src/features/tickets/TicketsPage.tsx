import { BarChart3, Plus } from "lucide-react";
import { useSearchParams } from "react-router";
import { useCan } from "@/auth/context";
import { ButtonLink } from "@/ui/Button";
import { Card, PageHeader } from "@/ui/layout";
import { AwayToggle } from "./AwayToggle";
import { filtersFrom, paramsFrom } from "./filters";
import type { TicketFilters } from "./filters";
import { TicketFiltersBar } from "./TicketFiltersBar";
import { TicketList } from "./TicketList";

export default function TicketsPage() {
  const [params, setParams] = useSearchParams();
  const filters = filtersFrom(params);
  const canWrite = useCan("tickets:write");
  const change = (changes: Partial<TicketFilters>) => setParams(paramsFrom({ ...filters, ...changes }), { replace: true });
  const newTicket = canWrite ? (
    <ButtonLink to="/tickets/new" variant="primary" icon={<Plus className="size-4" aria-hidden />}>
      New ticket
    </ButtonLink>
  ) : null;

  return (
    <>
      <PageHeader
        title="Tickets"
        description={
          <>
            Your queue, live.<span className="hidden md:inline"> Press / to search, j and k to move, Enter to open.</span>
          </>
        }
        actions={
          <>
            {canWrite ? <AwayToggle /> : null}
            <ButtonLink to="/tickets/reports" icon={<BarChart3 className="size-4" aria-hidden />}>Report</ButtonLink>
            {newTicket}
          </>
        }
      />
      <Card>
        <TicketFiltersBar filters={filters} onChange={change} />
        <TicketList filters={filters} emptyAction={newTicket} />
      </Card>
    </>
  );
}
