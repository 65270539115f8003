import { useInfiniteQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "@/api/client";
import { formatDateTime } from "@/lib/format";
import { useDebounced } from "@/lib/useDebounced";
import { Button } from "@/ui/Button";
import { inputClass } from "@/ui/Field";
import { Card, EmptyState, PageHeader, Skeleton, Table, Td, Th } from "@/ui/layout";

export default function AuditPage() {
  const [action, setAction] = useState("");
  const filter = useDebounced(action.trim(), 300);
  const query = useInfiniteQuery({
    queryKey: ["audit", filter],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => unwrap(api.GET("/api/v1/audit-log", { params: { query: { action: filter || undefined, limit: 100, cursor: pageParam ?? undefined } } })),
    getNextPageParam: (page) => page.next_cursor,
  });
  const events = query.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <PageHeader title="Audit log" description="Logins, member and role changes, API keys — who, when, from where." />
      <Card>
        <div className="border-b border-line p-3">
          <label className="block max-w-sm">
            <span className="sr-only">Action</span>
            <input data-search value={action} onChange={(e) => setAction(e.target.value)} placeholder="Action, e.g. member.role_changed" className={`${inputClass} h-10 text-sm`} />
          </label>
        </div>
        {!query.data ? (
          <Skeleton className="m-4 h-32" />
        ) : events.length ? (
          <Table label="Audit events">
            <thead>
              <tr>
                <Th>When</Th>
                <Th>Action</Th>
                <Th>Who</Th>
                <Th className="hidden lg:table-cell">Details</Th>
                <Th className="hidden md:table-cell">From</Th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id}>
                  <Td className="whitespace-nowrap text-muted">{formatDateTime(e.occurred_at)}</Td>
                  <Td className="font-mono text-xs">{e.action}</Td>
                  <Td>{e.actor_label ?? e.actor_type}</Td>
                  <Td className="hidden max-w-md truncate text-xs text-muted lg:table-cell">{Object.keys(e.details).length ? JSON.stringify(e.details) : ""}</Td>
                  <Td className="hidden text-xs text-muted md:table-cell">{e.ip ?? ""}</Td>
                </tr>
              ))}
            </tbody>
          </Table>
        ) : (
          <EmptyState title="Nothing recorded" />
        )}
        {query.hasNextPage ? (
          <div className="border-t border-line p-3 text-center">
            <Button loading={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>Load older events</Button>
          </div>
        ) : null}
      </Card>
    </>
  );
}
