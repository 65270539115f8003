import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ApiError, describeError } from "@/api/problem";
import { useToast } from "@/ui/toast-context";
import { updateTicket } from "./api";
import type { TicketDetail, TicketUpdate } from "./api";
import { ticketKeys } from "./keys";

/**
 * Changes to a ticket, sent with the version this screen shows (If-Match). When someone
 * else changed it meanwhile the server refuses (412): `conflict` says so until reloaded.
 */
export function useTicketEdit(ticket: TicketDetail) {
  const client = useQueryClient();
  const toast = useToast();
  const [conflict, setConflict] = useState(false);
  const [saving, setSaving] = useState(false);

  const save = async (body: TicketUpdate, done?: string): Promise<boolean> => {
    setSaving(true);
    try {
      const saved = await updateTicket(ticket, body);
      client.setQueryData(ticketKeys.detail(saved.id), saved);
      setConflict(false);
      if (done) toast({ tone: "good", title: done });
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) setConflict(true);
      else toast({ tone: "bad", title: "Not saved", body: describeError(error) });
      return false;
    } finally {
      setSaving(false);
    }
  };

  const reload = async () => {
    await client.invalidateQueries({ queryKey: ticketKeys.detail(ticket.id) });
    setConflict(false);
  };

  return { save, saving, conflict, reload };
}
