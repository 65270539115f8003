import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Copy, KeyRound, Plus } from "lucide-react";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { z } from "zod";
import { api, unwrap } from "@/api/client";
import type { Schemas } from "@/api/client";
import { describeError } from "@/api/problem";
import { useAuth } from "@/auth/context";
import { formatDate, formatRelative } from "@/lib/format";
import { applyServerErrors } from "@/lib/serverErrors";
import { Button } from "@/ui/Button";
import { Dialog } from "@/ui/Dialog";
import { SelectField, TextField } from "@/ui/Field";
import { Badge, Card, EmptyState, PageHeader, Skeleton, Table, Td, Th } from "@/ui/layout";
import { Notice } from "@/ui/Notice";
import { useToast } from "@/ui/toast-context";
import { ROLES, rolesUpTo } from "./roles";

const keysKey = ["api-keys"] as const;
const schema = z.object({
  name: z.string().trim().min(1, "Say what it is for, e.g. warehouse scanner."),
  role: z.enum(["viewer", "staff", "manager", "admin", "owner"]),
  expires: z.string(),
});
type Values = z.infer<typeof schema>;

function NewKey({ onCreated }: { onCreated: (key: Schemas["ApiKeyCreated"]) => void }) {
  const { me } = useAuth();
  const [formError, setFormError] = useState<string | null>(null);
  const { register, handleSubmit, setError, formState } = useForm<Values>({ resolver: zodResolver(schema), defaultValues: { name: "", role: "staff", expires: "" } });
  const create = useMutation({
    mutationFn: (v: Values) => unwrap(api.POST("/api/v1/api-keys", { body: { name: v.name, role: v.role, expires_at: v.expires ? new Date(v.expires).toISOString() : null } })),
    onSuccess: onCreated,
    onError: (error) => setFormError(applyServerErrors(error, setError, ["name", "role"], { expires_at: "expires" })),
  });
  return (
    <form onSubmit={handleSubmit((v) => create.mutate(v))} noValidate className="space-y-4">
      <TextField label="Name" autoFocus error={formState.errors.name?.message} {...register("name")} />
      <SelectField label="Acts as" error={formState.errors.role?.message} {...register("role")}>
        {rolesUpTo(me?.role ?? "viewer").map((role) => (
          <option key={role} value={role}>{ROLES[role].label} — {ROLES[role].can}</option>
        ))}
      </SelectField>
      <TextField label="Expires (optional)" type="date" error={formState.errors.expires?.message} {...register("expires")} />
      {formError ? <Notice tone="bad">{formError}</Notice> : null}
      <Button type="submit" variant="primary" loading={create.isPending}>Create key</Button>
    </form>
  );
}

export default function ApiKeysPage() {
  const { can } = useAuth();
  const client = useQueryClient();
  const toast = useToast();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<Schemas["ApiKeyCreated"] | null>(null);
  // An organisation has a handful of keys: one page of the largest size shows them all.
  const { data } = useQuery({ queryKey: keysKey, queryFn: () => unwrap(api.GET("/api/v1/api-keys", { params: { query: { limit: 500 } } })) });
  const keys = data?.items;
  const revoke = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/v1/api-keys/{key_id}", { params: { path: { key_id: id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: keysKey }),
    onError: (error) => toast({ tone: "bad", title: "Not revoked", body: describeError(error) }),
  });
  const canWrite = can("api_keys:write");
  return (
    <>
      <PageHeader
        title="API keys"
        description="For machines and scripts: a key acts with its role in this organisation."
        actions={canWrite ? <Button variant="primary" icon={<Plus className="size-4" aria-hidden />} onClick={() => setCreating(true)}>New key</Button> : null}
      />
      <Card>
        {!keys ? (
          <Skeleton className="m-4 h-24" />
        ) : keys.length ? (
          <Table label="API keys">
            <thead>
              <tr>
                <Th>Name</Th>
                <Th>Role</Th>
                <Th className="hidden md:table-cell">Last used</Th>
                <Th className="hidden md:table-cell">Expires</Th>
                <Th />
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id}>
                  <Td>
                    <p className="font-medium">{k.name}</p>
                    <p className="font-mono text-xs text-muted">{k.hint}</p>
                  </Td>
                  <Td>{ROLES[k.role].label}</Td>
                  <Td className="hidden text-muted md:table-cell">{k.last_used_at ? formatRelative(k.last_used_at) : "never"}</Td>
                  <Td className="hidden text-muted md:table-cell">{k.expires_at ? formatDate(k.expires_at) : "never"}</Td>
                  <Td align="right">
                    {k.revoked_at ? <Badge>Revoked</Badge> : canWrite ? <Button size="sm" variant="ghost" loading={revoke.isPending && revoke.variables === k.id} onClick={() => revoke.mutate(k.id)}>Revoke</Button> : null}
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        ) : (
          <EmptyState icon={<KeyRound />} title="No API keys">Create one for a scanner, an integration or a script.</EmptyState>
        )}
      </Card>
      <Dialog open={creating} onClose={() => { setCreating(false); setCreated(null); }} title={created ? "Copy the key now" : "New API key"} description={created ? "It is shown once; only a hash is kept." : undefined}>
        {created ? (
          <div className="space-y-4">
            <code className="block break-all rounded-lg bg-raised p-3 font-mono text-sm" data-testid="new-api-key">{created.key}</code>
            <Button icon={<Copy className="size-4" aria-hidden />} onClick={() => void navigator.clipboard?.writeText(created.key).then(() => toast({ tone: "good", title: "Copied" }))}>Copy</Button>
          </div>
        ) : (
          <NewKey onCreated={(key) => { setCreated(key); void client.invalidateQueries({ queryKey: keysKey }); }} />
        )}
      </Dialog>
    </>
  );
}
