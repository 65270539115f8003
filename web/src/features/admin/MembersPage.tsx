import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Trash2, UserPlus } from "lucide-react";
import { useState } from "react";
import { api, unwrap } from "@/api/client";
import type { Role, Schemas } from "@/api/client";
import { describeError } from "@/api/problem";
import { useAuth } from "@/auth/context";
import { formatDate } from "@/lib/format";
import { Button } from "@/ui/Button";
import { Dialog } from "@/ui/Dialog";
import { inputClass } from "@/ui/Field";
import { Card, PageHeader, Skeleton, Table, Td, Th } from "@/ui/layout";
import { useToast } from "@/ui/toast-context";
import { InviteDialog, PendingInvitations } from "./Invitations";
import { ROLES, rolesUpTo } from "./roles";

type Member = Schemas["MemberRead"];
const membersKey = ["members"] as const;

export default function MembersPage() {
  const { me } = useAuth();
  const client = useQueryClient();
  const toast = useToast();
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<Member | null>(null);
  const { data: members } = useQuery({
    queryKey: membersKey,
    queryFn: () => unwrap(api.GET("/api/v1/users", { params: { query: { limit: 500 } } })),
    select: (page) => page.items,
  });
  const grantable = rolesUpTo(me?.role ?? "viewer");
  const changeRole = useMutation({
    mutationFn: ({ id, role }: { id: string; role: Role }) => unwrap(api.PATCH("/api/v1/users/{user_id}", { params: { path: { user_id: id } }, body: { role } })),
    onSuccess: (member) => {
      void client.invalidateQueries({ queryKey: membersKey });
      toast({ tone: "good", title: `${member.full_name} is now a ${member.role}` });
    },
    onError: (error) => toast({ tone: "bad", title: "Role not changed", body: describeError(error) }),
  });
  const remove = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/v1/users/{user_id}", { params: { path: { user_id: id } } })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: membersKey });
      setRemoving(null);
    },
    onError: (error) => toast({ tone: "bad", title: "Not removed", body: describeError(error) }),
  });

  return (
    <>
      <PageHeader
        title="Members"
        description="Who can use this organisation, and what each may do."
        actions={<Button variant="primary" icon={<UserPlus className="size-4" aria-hidden />} onClick={() => setAdding(true)}>Invite member</Button>}
      />
      <Card>
        {!members ? (
          <Skeleton className="m-4 h-32" />
        ) : (
          <Table label="Members">
            <thead>
              <tr>
                <Th>Name</Th>
                <Th>Role</Th>
                <Th className="hidden sm:table-cell">Joined</Th>
                <Th />
              </tr>
            </thead>
            <tbody>
              {members.map((m) => {
                const self = m.id === me?.user?.id;
                const manageable = !self && grantable.includes(m.role);
                return (
                  <tr key={m.id}>
                    <Td>
                      <p className="font-medium">{m.full_name}{self ? <span className="ml-2 text-xs text-muted">(you)</span> : null}</p>
                      <p className="text-xs text-muted">{m.email}</p>
                    </Td>
                    <Td>
                      {manageable ? (
                        <select aria-label={`Role of ${m.full_name}`} value={m.role} onChange={(e) => changeRole.mutate({ id: m.id, role: e.target.value as Role })} className={`${inputClass} h-9 w-36 text-sm`}>
                          {grantable.map((role) => (
                            <option key={role} value={role}>{ROLES[role].label}</option>
                          ))}
                        </select>
                      ) : (
                        <span>{ROLES[m.role].label}</span>
                      )}
                    </Td>
                    <Td className="hidden text-muted sm:table-cell">{formatDate(m.joined_at)}</Td>
                    <Td align="right">
                      {manageable ? (
                        <Button size="sm" variant="ghost" aria-label={`Remove ${m.full_name}`} onClick={() => setRemoving(m)}>
                          <Trash2 className="size-4" aria-hidden />
                        </Button>
                      ) : null}
                    </Td>
                  </tr>
                );
              })}
            </tbody>
          </Table>
        )}
      </Card>
      <PendingInvitations />
      <dl className="mt-6 grid gap-3 text-sm sm:grid-cols-2 lg:grid-cols-5">
        {Object.entries(ROLES).map(([role, info]) => (
          <div key={role} className="rounded-lg border border-line p-3">
            <dt className="font-medium">{info.label}</dt>
            <dd className="text-muted">{info.can}</dd>
          </div>
        ))}
      </dl>
      <InviteDialog open={adding} onClose={() => setAdding(false)} grantable={grantable} />
      <Dialog
        open={removing !== null}
        onClose={() => setRemoving(null)}
        title={`Remove ${removing?.full_name ?? ""}?`}
        description="They lose access to this organisation within 15 minutes; their account stays."
        footer={
          <>
            <Button onClick={() => setRemoving(null)}>Keep</Button>
            <Button variant="danger" loading={remove.isPending} onClick={() => removing && remove.mutate(removing.id)}>Remove</Button>
          </>
        }
      >
        <p className="text-sm">Their past actions stay in the audit log.</p>
      </Dialog>
    </>
  );
}
