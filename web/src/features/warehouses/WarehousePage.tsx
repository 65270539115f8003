import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { MapPin, Plus } from "lucide-react";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { Link, useParams } from "react-router";
import { z } from "zod";
import { api, unwrap } from "@/api/client";
import { useCan } from "@/auth/context";
import { applyServerErrors } from "@/lib/serverErrors";
import { Button } from "@/ui/Button";
import { CheckboxField, TextField } from "@/ui/Field";
import { Badge, Card, CardHeader, EmptyState, PageHeader, Skeleton, Table, Td, Th } from "@/ui/layout";
import { Notice } from "@/ui/Notice";
import { useLocations, useWarehouses, warehouseKeys } from "./api";

const schema = z.object({
  code: z.string().trim().min(1, "A bin code, e.g. A-01-02.").max(64),
  name: z.string().trim().min(1, "Describe where it is."),
  allow_negative: z.boolean(),
});
type Values = z.infer<typeof schema>;

function AddLocation({ warehouseId }: { warehouseId: string }) {
  const client = useQueryClient();
  const [formError, setFormError] = useState<string | null>(null);
  const { register, handleSubmit, setError, formState, reset, setFocus } = useForm<Values>({ resolver: zodResolver(schema), defaultValues: { code: "", name: "", allow_negative: false } });
  const create = useMutation({
    mutationFn: (values: Values) => unwrap(api.POST("/api/v1/locations", { body: { ...values, warehouse_id: warehouseId } })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: warehouseKeys.locations(warehouseId) });
      reset();
      setFormError(null);
      setFocus("code");
    },
    onError: (error) => setFormError(applyServerErrors(error, setError, ["code", "name", "allow_negative"])),
  });
  return (
    <form onSubmit={handleSubmit((v) => create.mutate(v))} noValidate className="grid gap-3 border-t border-line p-4 sm:grid-cols-[10rem_minmax(0,1fr)_auto] sm:items-start">
      <TextField label="Code" className="font-mono" error={formState.errors.code?.message} {...register("code")} />
      <TextField label="Name" error={formState.errors.name?.message} {...register("name")} />
      <div className="sm:pt-7">
        <Button type="submit" variant="primary" icon={<Plus className="size-4" aria-hidden />} loading={create.isPending}>Add bin</Button>
      </div>
      <div className="sm:col-span-3">
        <CheckboxField label="Allow negative stock" hint="Issues may take this bin below zero (e.g. a staging area counted later)." {...register("allow_negative")} />
      </div>
      {formError ? <Notice tone="bad" className="sm:col-span-3">{formError}</Notice> : null}
    </form>
  );
}

export default function WarehousePage() {
  const { warehouseId = "" } = useParams();
  const { data: warehouses } = useWarehouses();
  const { data: locations } = useLocations(warehouseId);
  const canWrite = useCan("warehouses:write");
  const warehouse = warehouses?.find((w) => w.id === warehouseId);
  if (!warehouses) return <Skeleton className="h-48" />;
  if (!warehouse) return <EmptyState title="No such warehouse" action={<Link to="/warehouses" className="text-accent">All warehouses</Link>} />;
  return (
    <>
      <PageHeader title={`${warehouse.name}`} description={<span className="font-mono">{warehouse.code}{warehouse.address ? ` · ${warehouse.address}` : ""}</span>} />
      <Card>
        <CardHeader title="Locations" description={locations ? `${locations.length} bin${locations.length === 1 ? "" : "s"}` : undefined} />
        {!locations ? (
          <Skeleton className="m-4 h-24" />
        ) : locations.length ? (
          <div className="max-h-[60vh] overflow-y-auto" tabIndex={0} role="region" aria-label="Locations, scrollable">
            <Table label={`Locations of ${warehouse.name}`}>
              <thead className="sticky top-0 bg-surface">
                <tr>
                  <Th>Code</Th>
                  <Th>Name</Th>
                  <Th>Rules</Th>
                </tr>
              </thead>
              <tbody>
                {locations.map((l) => (
                  <tr key={l.id}>
                    <Td className="font-mono">
                      <span className="inline-flex items-center gap-2">
                        <MapPin className="size-4 text-muted" aria-hidden />
                        {l.code}
                      </span>
                    </Td>
                    <Td>{l.name}</Td>
                    <Td>
                      <span className="flex gap-1">
                        {l.is_default ? <Badge tone="accent">Default</Badge> : null}
                        {l.allow_negative ? <Badge tone="warn">Negative allowed</Badge> : null}
                      </span>
                    </Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </div>
        ) : (
          <EmptyState title="No bins yet" />
        )}
        {canWrite ? <AddLocation warehouseId={warehouse.id} /> : null}
      </Card>
    </>
  );
}
