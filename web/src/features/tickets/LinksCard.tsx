import { useQueryClient } from "@tanstack/react-query";
import { GitMerge, Link2, X } from "lucide-react";
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import type { Schemas } from "@/api/client";
import { describeError } from "@/api/problem";
import { Button } from "@/ui/Button";
import { Dialog } from "@/ui/Dialog";
import { SelectField, TextField } from "@/ui/Field";
import { Card, CardHeader } from "@/ui/layout";
import { Notice } from "@/ui/Notice";
import { useToast } from "@/ui/toast-context";
import { addLink, findTicket, mergeTicket, removeLink } from "./api";
import type { Ticket, TicketDetail } from "./api";
import { StatusChip } from "./badges";
import { ticketKeys } from "./keys";

const KINDS: Record<Schemas["LinkKind"], string> = { relates_to: "Relates to", duplicates: "Duplicates", blocks: "Blocks" };

/** Find another ticket by number or subject words (not this one). */
function TicketFinder({ exclude, onPick, label }: { exclude: string; onPick: (ticket: Ticket) => void; label: string }) {
  const [text, setText] = useState("");
  const [found, setFound] = useState<Ticket[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const search = async () => {
    setError(null);
    try {
      setFound((await findTicket(text)).filter((t) => t.id !== exclude));
    } catch (failure) {
      setError(describeError(failure));
    }
  };
  return (
    <div className="space-y-2">
      <form
        className="flex items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          void search();
        }}
      >
        <TextField label={label} placeholder="QM-1042 or words of the subject" value={text} onChange={(e) => setText(e.target.value)} wrapperClassName="flex-1" />
        <Button type="submit">Find</Button>
      </form>
      {error ? <Notice tone="bad">{error}</Notice> : null}
      {found ? (
        found.length ? (
          <ul className="divide-y divide-line rounded-lg border border-line text-sm">
            {found.map((t) => (
              <li key={t.id}>
                <button type="button" onClick={() => onPick(t)} className="flex w-full items-center gap-2 px-3 py-2 text-left hover:bg-raised focus:bg-accent-soft focus:outline-none">
                  <span className="font-mono text-xs text-muted">{t.key}</span>
                  <span className="min-w-0 flex-1 truncate">{t.subject}</span>
                  <StatusChip status={t.status} />
                </button>
              </li>
            ))}
          </ul>
        ) : (
          <p className="text-sm text-muted">No other ticket matches.</p>
        )
      ) : null}
    </div>
  );
}

/** Links to other tickets, and merging this one into another. */
export function LinksCard({ ticket, canWrite }: { ticket: TicketDetail; canWrite: boolean }) {
  const [linking, setLinking] = useState(false);
  const [kind, setKind] = useState<Schemas["LinkKind"]>("relates_to");
  const [merging, setMerging] = useState<Ticket | null>(null);
  const [mergeOpen, setMergeOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const client = useQueryClient();
  const toast = useToast();
  const navigate = useNavigate();
  const locked = !canWrite || ticket.status === "closed";
  const refresh = (saved: TicketDetail) => client.setQueryData(ticketKeys.detail(saved.id), saved);
  const fail = (title: string) => (error: unknown) => toast({ tone: "bad", title, body: describeError(error) });

  const merge = async () => {
    if (!merging) return;
    setBusy(true);
    try {
      refresh(await mergeTicket(ticket.id, merging.id));
      toast({ tone: "good", title: `Merged into ${merging.key}` });
      setMergeOpen(false);
      navigate(`/tickets/${merging.id}`);
    } catch (error) {
      fail("Not merged")(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card>
      <CardHeader
        title="Linked tickets"
        actions={
          locked ? null : (
            <div className="flex gap-1">
              <Button size="sm" variant="ghost" icon={<Link2 className="size-4" aria-hidden />} onClick={() => setLinking(!linking)}>
                Link
              </Button>
              <Button size="sm" variant="ghost" icon={<GitMerge className="size-4" aria-hidden />} onClick={() => setMergeOpen(true)}>
                Merge
              </Button>
            </div>
          )
        }
      />
      <div className="space-y-3 p-4 text-sm">
        {ticket.merged_into_id ? (
          <Notice tone="info">
            Merged into <Link className="font-medium underline" to={`/tickets/${ticket.merged_into_id}`}>another ticket</Link>.
          </Notice>
        ) : null}
        {ticket.links.length ? (
          <ul className="space-y-1.5">
            {ticket.links.map((link) => (
              <li key={link.id} className="flex items-center gap-2">
                <span className="text-xs text-muted">{link.direction === "incoming" ? `${KINDS[link.kind]} (from)` : KINDS[link.kind]}</span>
                <Link to={`/tickets/${link.other_ticket_id}`} className="min-w-0 flex-1 truncate hover:underline">
                  <span className="font-mono text-xs text-muted">{link.other_key}</span> {link.other_subject}
                </Link>
                {locked ? null : (
                  <button
                    type="button"
                    aria-label={`Remove link to ${link.other_key}`}
                    className="rounded p-0.5 text-muted hover:text-ink"
                    onClick={() =>
                      removeLink(ticket.id, link.id)
                        .then(() => client.invalidateQueries({ queryKey: ticketKeys.detail(ticket.id) }))
                        .catch(fail("Link not removed"))
                    }
                  >
                    <X className="size-4" aria-hidden />
                  </button>
                )}
              </li>
            ))}
          </ul>
        ) : (
          <p className="text-muted">No linked tickets.</p>
        )}
        {linking ? (
          <div className="space-y-2 border-t border-line pt-3">
            <SelectField label="Kind of link" value={kind} onChange={(e) => setKind(e.target.value as Schemas["LinkKind"])}>
              {Object.entries(KINDS).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </SelectField>
            <TicketFinder
              exclude={ticket.id}
              label="Ticket to link"
              onPick={(other) =>
                addLink(ticket.id, other.id, kind)
                  .then((saved) => {
                    refresh(saved);
                    setLinking(false);
                  })
                  .catch(fail("Not linked"))
              }
            />
          </div>
        ) : null}
      </div>
      <Dialog
        open={mergeOpen}
        onClose={() => {
          setMergeOpen(false);
          setMerging(null);
        }}
        title={`Merge ${ticket.key} into another ticket`}
        description="Its conversation moves to the other ticket, and this one closes as merged."
        footer={
          <>
            <Button onClick={() => setMergeOpen(false)}>Cancel</Button>
            <Button variant="danger" disabled={!merging} loading={busy} onClick={() => void merge()}>
              {merging ? `Merge into ${merging.key}` : "Merge"}
            </Button>
          </>
        }
      >
        {merging ? (
          <Notice tone="warn" title={`Into ${merging.key}: ${merging.subject}`} action={<Button size="sm" onClick={() => setMerging(null)}>Change</Button>} />
        ) : (
          <TicketFinder exclude={ticket.id} label="Ticket to merge into" onPick={setMerging} />
        )}
      </Dialog>
    </Card>
  );
}
