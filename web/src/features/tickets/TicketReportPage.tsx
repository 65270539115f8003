import { ArrowLeft } from "lucide-react";
import { Link } from "react-router";
import { Card, CardHeader, PageHeader, Skeleton, Stat, Table, Td, Th } from "@/ui/layout";
import { ErrorNotice } from "@/ui/Notice";
import { BreachesChart, CreatedResolvedChart, ResponseTimesChart } from "./reportCharts";
import { formatDuration, useCsatResults, useTicketReport, weightedMiddle } from "./reportApi";

const DAYS = 30;

export default function TicketReportPage() {
  const report = useTicketReport(DAYS);
  const csat = useCsatResults("team");
  const buckets = report.data?.buckets ?? [];
  const sum = (pick: (b: (typeof buckets)[number]) => number) => buckets.reduce((total, b) => total + pick(b), 0);
  const responses = sum((b) => b.csat_responses);
  const csatAverage = responses ? sum((b) => Number(b.csat_average ?? 0) * b.csat_responses) / responses : null;
  const figure = (node: React.ReactNode) => (report.data ? node : <Skeleton className="h-14" />);

  return (
    <>
      <Link to="/tickets" className="mb-3 inline-flex items-center gap-1 text-sm text-muted hover:text-ink">
        <ArrowLeft className="size-4" aria-hidden /> Tickets
      </Link>
      <PageHeader title="Desk report" description={`The last ${DAYS} days, per day in your time zone (hover a chart for figures).`} />
      {report.error ? <ErrorNotice error={report.error} title="The report could not be loaded" /> : null}
      <section aria-label="Totals" className="mb-6 grid grid-cols-2 gap-4 lg:grid-cols-5">
        <Card className="p-4">{figure(<Stat label="Created" value={sum((b) => b.created)} hint={`Resolved: ${sum((b) => b.resolved)}`} />)}</Card>
        <Card className="p-4">{figure(<Stat label="First response" value={formatDuration(weightedMiddle(buckets.map((b) => ({ value: b.median_first_response_seconds, weight: b.first_responses }))))} hint="Typical (median)" />)}</Card>
        <Card className="p-4">{figure(<Stat label="Resolution" value={formatDuration(weightedMiddle(buckets.map((b) => ({ value: b.median_resolution_seconds, weight: b.resolved }))))} hint="Typical (median)" />)}</Card>
        <Card className="p-4">{figure(<Stat label="SLA breaches" value={sum((b) => b.breaches)} />)}</Card>
        <Card className="p-4">{figure(<Stat label="Satisfaction" value={csatAverage === null ? "—" : `${csatAverage.toFixed(1)} / 5`} hint={`${responses} rating${responses === 1 ? "" : "s"}`} />)}</Card>
      </section>
      <div className="grid gap-6 lg:grid-cols-2">
        <Card>
          <CardHeader title="Created and resolved" description="Tickets per day" />
          <div className="p-4">{report.data ? <CreatedResolvedChart buckets={buckets} /> : <Skeleton className="h-64" />}</div>
        </Card>
        <Card>
          <CardHeader title="Response times" description="Median per day" />
          <div className="p-4">{report.data ? <ResponseTimesChart buckets={buckets} /> : <Skeleton className="h-64" />}</div>
        </Card>
        <Card>
          <CardHeader title="SLA breaches" description="Per day" />
          <div className="p-4">{report.data ? <BreachesChart buckets={buckets} /> : <Skeleton className="h-48" />}</div>
        </Card>
        <Card>
          <CardHeader title="Satisfaction by team" description="Ratings answered by requesters" />
          {csat.data?.rows.length ? (
            <Table label="Satisfaction by team">
              <thead>
                <tr>
                  <Th>Team</Th>
                  <Th align="right">Ratings</Th>
                  <Th align="right">Average</Th>
                  <Th align="right">Satisfied</Th>
                </tr>
              </thead>
              <tbody>
                {csat.data.rows.map((row) => (
                  <tr key={row.id ?? "none"}>
                    <Td>{row.name ?? "No team"}</Td>
                    <Td align="right">{row.responses}</Td>
                    <Td align="right">{row.average === null ? "—" : Number(row.average).toFixed(1)}</Td>
                    <Td align="right">{row.satisfied_percent === null ? "—" : `${Math.round(Number(row.satisfied_percent))}%`}</Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          ) : csat.data ? (
            <p className="p-4 text-sm text-muted">No ratings yet: requesters get a rating link when their ticket is resolved.</p>
          ) : (
            <Skeleton className="m-4 h-32" />
          )}
        </Card>
      </div>
    </>
  );
}
