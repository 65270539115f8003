import { useQueryClient } from "@tanstack/react-query";
import { CheckCircle2, CircleDot, Lock, PauseCircle, RotateCcw } from "lucide-react";
import { useState } from "react";
import { ApiError, describeError } from "@/api/problem";
import { Button } from "@/ui/Button";
import { useToast } from "@/ui/toast-context";
import { transitionTicket } from "./api";
import type { TicketDetail } from "./api";
import type { TicketStatus } from "./filters";
import { ticketKeys } from "./keys";

function labelFor(from: TicketStatus, to: TicketStatus): { label: string; icon: typeof Lock } {
  if (to === "open") return from === "resolved" ? { label: "Reopen", icon: RotateCcw } : from === "pending" ? { label: "Back to open", icon: CircleDot } : { label: "Open", icon: CircleDot };
  if (to === "pending") return { label: "Set pending", icon: PauseCircle };
  if (to === "resolved") return { label: "Resolve", icon: CheckCircle2 };
  return { label: from === "resolved" ? "Close" : "Close unresolved", icon: Lock };
}

/** The moves the ticket allows now (the server names them), as buttons. */
export function TransitionBar({ ticket }: { ticket: TicketDetail }) {
  const [busy, setBusy] = useState<TicketStatus | null>(null);
  const client = useQueryClient();
  const toast = useToast();
  const move = async (to: TicketStatus) => {
    setBusy(to);
    try {
      const saved = await transitionTicket(ticket.id, to);
      client.setQueryData(ticketKeys.detail(saved.id), saved);
      void client.invalidateQueries({ queryKey: ticketKeys.comments(saved.id) });
    } catch (error) {
      // 409: the status changed meanwhile; the problem names what is allowed now.
      if (error instanceof ApiError && error.status === 409) void client.invalidateQueries({ queryKey: ticketKeys.detail(ticket.id) });
      toast({ tone: "bad", title: "Status not changed", body: describeError(error) });
    } finally {
      setBusy(null);
    }
  };
  if (!ticket.allowed_transitions.length) return null;
  return (
    <div className="flex flex-wrap gap-2" role="group" aria-label="Change status">
      {ticket.allowed_transitions.map((to) => {
        const { label, icon: Icon } = labelFor(ticket.status, to);
        const primary = to === "resolved";
        return (
          <Button key={to} size="sm" variant={primary ? "primary" : "secondary"} loading={busy === to} disabled={busy !== null} icon={<Icon className="size-4" aria-hidden />} onClick={() => void move(to)}>
            {label}
          </Button>
        );
      })}
    </div>
  );
}
