import { useQueryClient } from "@tanstack/react-query";
import { useRef } from "react";
import { useNavigate } from "react-router";
import { Card, PageHeader, Skeleton } from "@/ui/layout";
import { ErrorNotice } from "@/ui/Notice";
import { useToast } from "@/ui/toast-context";
import { createTicket } from "./api";
import { useTeams, useTicketFields } from "./desk";
import { ticketKeys } from "./keys";
import { TicketForm } from "./TicketForm";

export default function TicketCreatePage() {
  const teams = useTeams();
  const fields = useTicketFields();
  const navigate = useNavigate();
  const client = useQueryClient();
  const toast = useToast();
  const error = teams.error ?? fields.error;
  // One key per body: pressing Create again after a lost answer replays the first ticket
  // instead of opening a second one; a changed form is a new request.
  const attempt = useRef<{ body: string; key: string } | null>(null);

  return (
    <>
      <PageHeader title="New ticket" description="For a request that came by phone, chat or in person. E-mail opens tickets by itself." />
      {error ? <ErrorNotice error={error} title="The form could not be prepared" /> : null}
      <Card className="p-5">
        {teams.data && fields.data ? (
          <TicketForm
            teams={teams.data}
            fields={fields.data}
            onCancel={() => navigate("/tickets")}
            onSubmit={async (body) => {
              if (attempt.current?.body !== JSON.stringify(body)) attempt.current = { body: JSON.stringify(body), key: crypto.randomUUID() };
              const ticket = await createTicket(body, attempt.current.key);
              client.setQueryData(ticketKeys.detail(ticket.id), ticket);
              void client.invalidateQueries({ queryKey: ticketKeys.lists() });
              toast({ tone: "good", title: `Created ${ticket.key}` });
              navigate(`/tickets/${ticket.id}`);
            }}
          />
        ) : (
          <Skeleton className="h-96" />
        )}
      </Card>
    </>
  );
}
