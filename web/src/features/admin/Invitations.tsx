import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Mail, RotateCw, X } from "lucide-react";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { z } from "zod";
import { api, unwrap } from "@/api/client";
import type { Role } from "@/api/client";
import { describeError } from "@/api/problem";
import { formatDate, formatRelative } from "@/lib/format";
import { applyServerErrors } from "@/lib/serverErrors";
import { Button } from "@/ui/Button";
import { Dialog } from "@/ui/Dialog";
import { SelectField, TextField } from "@/ui/Field";
import { Card, CardHeader } from "@/ui/layout";
import { Notice } from "@/ui/Notice";
import { useToast } from "@/ui/toast-context";
import { ROLES } from "./roles";

export const invitationsKey = ["invitations", "pending"] as const;

const schema = z.object({
  email: z.string().trim().email("That is not an e-mail address."),
  role: z.enum(["viewer", "staff", "manager", "admin", "owner"]),
});
type Values = z.infer<typeof schema>;

/** Invite someone by e-mail: they choose their own password when they accept. */
export function InviteDialog({ open, onClose, grantable }: { open: boolean; onClose: () => void; grantable: Role[] }) {
  const client = useQueryClient();
  const toast = useToast();
  const [formError, setFormError] = useState<string | null>(null);
  const { register, handleSubmit, setError, formState, reset } = useForm<Values>({ resolver: zodResolver(schema), defaultValues: { email: "", role: "staff" } });
  const invite = useMutation({
    mutationFn: (values: Values) => unwrap(api.POST("/api/v1/invitations", { body: values })),
    onSuccess: (invitation) => {
      void client.invalidateQueries({ queryKey: invitationsKey });
      toast({ tone: "good", title: `Invitation sent to ${invitation.email}`, body: `As ${ROLES[invitation.role].label.toLowerCase()}; the link works until ${formatDate(invitation.expires_at)}.` });
      reset();
      onClose();
    },
    onError: (error) => setFormError(applyServerErrors(error, setError, ["email", "role"])),
  });
  return (
    <Dialog open={open} onClose={onClose} title="Invite a member" description="They get an e-mail with a link, and join when they accept.">
      <form onSubmit={handleSubmit((v) => invite.mutate(v))} noValidate className="space-y-4">
        <TextField label="E-mail" type="email" autoFocus error={formState.errors.email?.message} {...register("email")} />
        <SelectField label="Role" error={formState.errors.role?.message} {...register("role")}>
          {grantable.map((role) => (
            <option key={role} value={role}>
              {ROLES[role].label} — {ROLES[role].can}
            </option>
          ))}
        </SelectField>
        {formError ? <Notice tone="bad">{formError}</Notice> : null}
        <div className="flex justify-end gap-2">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" icon={<Mail className="size-4" aria-hidden />} loading={invite.isPending}>
            Send invitation
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

/** Invitations not yet accepted: send again or withdraw. */
export function PendingInvitations() {
  const client = useQueryClient();
  const toast = useToast();
  const { data } = useQuery({
    queryKey: invitationsKey,
    queryFn: () => unwrap(api.GET("/api/v1/invitations", { params: { query: { state: "pending", limit: 100 } } })),
    select: (page) => page.items,
  });
  const act = useMutation({
    mutationFn: ({ id, action }: { id: string; action: "resend" | "revoke" }) =>
      action === "resend"
        ? unwrap(api.POST("/api/v1/invitations/{invitation_id}/resend", { params: { path: { invitation_id: id } } }))
        : unwrap(api.DELETE("/api/v1/invitations/{invitation_id}", { params: { path: { invitation_id: id } } })),
    onSuccess: (_, { action }) => {
      void client.invalidateQueries({ queryKey: invitationsKey });
      toast({ tone: "good", title: action === "resend" ? "Invitation sent again" : "Invitation withdrawn" });
    },
    onError: (error) => toast({ tone: "bad", title: "Not done", body: describeError(error) }),
  });
  if (!data?.length) return null;
  return (
    <Card className="mt-6">
      <CardHeader title="Invited, not joined yet" />
      <ul className="divide-y divide-line">
        {data.map((invitation) => (
          <li key={invitation.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 px-4 py-3 text-sm">
            <div className="min-w-0 flex-1">
              <p className="truncate font-medium">{invitation.email}</p>
              <p className="text-xs text-muted">
                {ROLES[invitation.role].label} · invited by {invitation.invited_by_label ?? "someone"} {formatRelative(invitation.created_at)} · expires {formatDate(invitation.expires_at)}
              </p>
            </div>
            <Button size="sm" variant="ghost" icon={<RotateCw className="size-4" aria-hidden />} onClick={() => act.mutate({ id: invitation.id, action: "resend" })}>
              Resend
            </Button>
            <Button size="sm" variant="ghost" icon={<X className="size-4" aria-hidden />} onClick={() => act.mutate({ id: invitation.id, action: "revoke" })}>
              Withdraw
            </Button>
          </li>
        ))}
      </ul>
    </Card>
  );
}
