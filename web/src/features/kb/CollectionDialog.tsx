import { zodResolver } from "@hookform/resolvers/zod";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { z } from "zod";
import { applyServerErrors } from "@/lib/serverErrors";
import { Button } from "@/ui/Button";
import { Dialog } from "@/ui/Dialog";
import { SelectField, TextAreaField, TextField } from "@/ui/Field";
import { Notice } from "@/ui/Notice";
import { useToast } from "@/ui/toast-context";
import { createCollection, updateCollection } from "./api";
import type { Collection } from "./contract";
import { kbKeys } from "./keys";
import { flattenTree } from "./tree";

const schema = z.object({
  name: z.string().trim().min(1, "Give the collection a name.").max(120, "At most 120 characters."),
  parent_id: z.string(),
  description: z.string().max(500, "At most 500 characters."),
});
type Values = z.infer<typeof schema>;
const FIELDS = ["name", "parent_id", "description"] as const;

/** Create a collection, or rename / move one (`editing`). */
export function CollectionDialog({ open, editing, collections, onClose }: { open: boolean; editing: Collection | null; collections: Collection[]; onClose: () => void }) {
  const client = useQueryClient();
  const toast = useToast();
  const [formError, setFormError] = useState<string | null>(null);
  const { register, handleSubmit, setError, formState } = useForm<Values>({
    resolver: zodResolver(schema),
    values: { name: editing?.name ?? "", parent_id: editing?.parent_id ?? "", description: editing?.description ?? "" },
  });
  // A collection cannot move under itself or its own descendants.
  const parents = flattenTree(collections).filter(({ collection, ancestors }) => !editing || (collection.id !== editing.id && !ancestors.includes(editing.id)));

  const submit = handleSubmit(async (values) => {
    setFormError(null);
    const body = { name: values.name, parent_id: values.parent_id || null, description: values.description.trim() };
    try {
      const saved = editing ? await updateCollection(editing.id, body) : await createCollection(body);
      await client.invalidateQueries({ queryKey: kbKeys.collections() });
      toast({ tone: "good", title: editing ? `Saved ${saved.name}` : `Created ${saved.name}` });
      onClose();
    } catch (error) {
      setFormError(applyServerErrors(error, setError, FIELDS));
    }
  });

  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={editing ? "Rename collection" : "New collection"}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form="collection-form" variant="primary" loading={formState.isSubmitting}>
            {editing ? "Save" : "Create collection"}
          </Button>
        </>
      }
    >
      <form id="collection-form" onSubmit={submit} noValidate className="space-y-4">
        <TextField label="Name" autoFocus error={formState.errors.name?.message} {...register("name")} />
        <SelectField label="Inside" error={formState.errors.parent_id?.message} {...register("parent_id")}>
          <option value="">Top level</option>
          {parents.map(({ collection, depth }) => (
            <option key={collection.id} value={collection.id}>
              {"\u00a0\u00a0".repeat(depth)}
              {collection.name}
            </option>
          ))}
        </SelectField>
        <TextAreaField label="Description" hint="Optional; shown in the help centre." error={formState.errors.description?.message} {...register("description")} />
        {formError ? <Notice tone="bad">{formError}</Notice> : null}
      </form>
    </Dialog>
  );
}
