import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Plus, Warehouse as WarehouseIcon } from "lucide-react";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { Link } from "react-router";
import { z } from "zod";
import { api, unwrap } from "@/api/client";
import { useCan } from "@/auth/context";
import { applyServerErrors } from "@/lib/serverErrors";
import { Button } from "@/ui/Button";
import { Dialog } from "@/ui/Dialog";
import { TextField } from "@/ui/Field";
import { Badge, Card, EmptyState, PageHeader, Skeleton } from "@/ui/layout";
import { Notice } from "@/ui/Notice";
import { useWarehouses, warehouseKeys } from "./api";

const schema = z.object({
  code: z.string().trim().min(1, "A short code, e.g. MAIN.").max(32),
  name: z.string().trim().min(1, "Name it."),
  address: z.string().trim(),
});
type Values = z.infer<typeof schema>;

function NewWarehouse({ open, onClose }: { open: boolean; onClose: () => void }) {
  const client = useQueryClient();
  const [formError, setFormError] = useState<string | null>(null);
  const { register, handleSubmit, setError, formState, reset } = useForm<Values>({ resolver: zodResolver(schema), defaultValues: { code: "", name: "", address: "" } });
  const create = useMutation({
    mutationFn: (values: Values) => unwrap(api.POST("/api/v1/warehouses", { body: { ...values, address: values.address || null } })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: warehouseKeys.all });
      reset();
      onClose();
    },
    onError: (error) => setFormError(applyServerErrors(error, setError, ["code", "name", "address"])),
  });
  return (
    <Dialog open={open} onClose={onClose} title="New warehouse" description="It gets a DEFAULT location; add bins afterwards.">
      <form onSubmit={handleSubmit((v) => create.mutate(v))} noValidate className="space-y-4">
        <TextField label="Code" className="font-mono uppercase" autoFocus error={formState.errors.code?.message} {...register("code")} />
        <TextField label="Name" error={formState.errors.name?.message} {...register("name")} />
        <TextField label="Address (optional)" error={formState.errors.address?.message} {...register("address")} />
        {formError ? <Notice tone="bad">{formError}</Notice> : null}
        <div className="flex justify-end gap-2">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" loading={create.isPending}>Create warehouse</Button>
        </div>
      </form>
    </Dialog>
  );
}

export default function WarehousesPage() {
  const { data } = useWarehouses();
  const canWrite = useCan("warehouses:write");
  const [creating, setCreating] = useState(false);
  return (
    <>
      <PageHeader
        title="Warehouses"
        description="Sites and their bins (locations)."
        actions={canWrite ? <Button variant="primary" icon={<Plus className="size-4" aria-hidden />} onClick={() => setCreating(true)}>New warehouse</Button> : null}
      />
      {!data ? (
        <Skeleton className="h-32" />
      ) : data.length ? (
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
          {data.map((w) => (
            <Link key={w.id} to={`/warehouses/${w.id}`} className="block">
              <Card className="h-full p-4 hover:border-accent">
                <div className="flex items-center gap-3">
                  <WarehouseIcon className="size-5 text-muted" aria-hidden />
                  <span className="font-mono text-sm font-semibold">{w.code}</span>
                  {!w.is_active ? <Badge>Inactive</Badge> : null}
                </div>
                <p className="mt-2 font-medium">{w.name}</p>
                {w.address ? <p className="text-sm text-muted">{w.address}</p> : null}
              </Card>
            </Link>
          ))}
        </div>
      ) : (
        <Card>
          <EmptyState icon={<WarehouseIcon />} title="No warehouses yet" action={canWrite ? <Button variant="primary" onClick={() => setCreating(true)}>Create the first one</Button> : null}>
            Stock lives in locations inside warehouses.
          </EmptyState>
        </Card>
      )}
      <NewWarehouse open={creating} onClose={() => setCreating(false)} />
    </>
  );
}
