import { zodResolver } from "@hookform/resolvers/zod";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { z } from "zod";
import type { Product } from "@/api/client";
import { isDecimal } from "@/lib/decimal";
import { applyServerErrors } from "@/lib/serverErrors";
import { Button } from "@/ui/Button";
import { CheckboxField, SelectField, TextAreaField, TextField } from "@/ui/Field";
import { Notice } from "@/ui/Notice";
import { useCategories, useUnits } from "./api";
import type { ProductCreate } from "./api";

const decimal = z
  .string()
  .trim()
  .refine((v) => v === "" || (isDecimal(v) && Number(v) >= 0), "Enter a number, 0 or more.");

const schema = z.object({
  sku: z.string().trim().min(1, "Every product needs a SKU.").max(64, "At most 64 characters."),
  name: z.string().trim().min(1, "Give the product a name."),
  unit: z.string().min(1, "Pick a unit."),
  category_id: z.string(),
  barcode: z.string().trim(),
  reorder_point: decimal,
  reorder_quantity: decimal,
  description: z.string(),
  attributes: z.string().refine((v) => {
    if (!v.trim()) return true;
    try {
      const parsed: unknown = JSON.parse(v);
      return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed);
    } catch {
      return false;
    }
  }, 'Write a JSON object, e.g. {"colour": "red"}.'),
  is_active: z.boolean(),
});
export type ProductValues = z.infer<typeof schema>;
const FIELDS = ["sku", "name", "unit", "category_id", "barcode", "reorder_point", "reorder_quantity", "description", "attributes", "is_active"] as const;

export function valuesOf(product?: Product): ProductValues {
  return {
    sku: product?.sku ?? "",
    name: product?.name ?? "",
    unit: product?.unit ?? "pcs",
    category_id: product?.category_id ?? "",
    barcode: product?.barcode ?? "",
    reorder_point: product ? String(Number(product.reorder_point)) : "0",
    reorder_quantity: product ? String(Number(product.reorder_quantity)) : "0",
    description: product?.description ?? "",
    attributes: product && Object.keys(product.attributes).length ? JSON.stringify(product.attributes, null, 2) : "",
    is_active: product?.is_active ?? true,
  };
}

export function bodyOf(values: ProductValues): ProductCreate {
  return {
    sku: values.sku,
    name: values.name,
    unit: values.unit,
    category_id: values.category_id || null,
    barcode: values.barcode || null,
    reorder_point: values.reorder_point || "0",
    reorder_quantity: values.reorder_quantity || "0",
    description: values.description.trim() || null,
    attributes: values.attributes.trim() ? (JSON.parse(values.attributes) as Record<string, unknown>) : {},
    is_active: values.is_active,
  };
}

interface Props {
  product?: Product;
  submitLabel: string;
  onSubmit: (values: ProductValues, dirty: Set<keyof ProductValues>) => Promise<void>;
  onCancel: () => void;
  /** Shown above the buttons, e.g. the "changed by someone else" notice. */
  notice?: React.ReactNode;
}

/** Create or edit a product; the server's field errors land next to their fields and the
 * typed values stay when a save is refused. */
export function ProductForm({ product, submitLabel, onSubmit, onCancel, notice }: Props) {
  const { data: units } = useUnits();
  const { data: categories } = useCategories();
  const [formError, setFormError] = useState<string | null>(null);
  const { register, handleSubmit, setError, formState } = useForm<ProductValues>({
    resolver: zodResolver(schema),
    values: valuesOf(product),
    resetOptions: { keepDirtyValues: true },
  });
  const errors = formState.errors;

  const submit = handleSubmit(async (values) => {
    setFormError(null);
    const dirty = new Set(Object.keys(formState.dirtyFields) as (keyof ProductValues)[]);
    try {
      await onSubmit(values, dirty);
    } catch (error) {
      setFormError(applyServerErrors(error, setError, FIELDS, { unit_code: "unit" }));
    }
  });

  return (
    <form onSubmit={submit} noValidate className="space-y-5">
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField label="SKU" autoFocus={!product} className="font-mono" error={errors.sku?.message} hint="Unique in your organisation, any case." {...register("sku")} />
        <TextField label="Barcode" inputMode="numeric" className="font-mono" error={errors.barcode?.message} hint="EAN/UPC; optional." {...register("barcode")} />
      </div>
      <TextField label="Name" error={errors.name?.message} {...register("name")} />
      <div className="grid gap-4 sm:grid-cols-2">
        <SelectField label="Category" error={errors.category_id?.message} {...register("category_id")}>
          <option value="">No category</option>
          {(categories ?? []).map((c) => (
            <option key={c.id} value={c.id}>
              {c.path}
            </option>
          ))}
        </SelectField>
        <SelectField label="Unit" error={errors.unit?.message} hint="How it is counted." {...register("unit")}>
          {(units ?? [{ code: "pcs", name: "pieces", id: "pcs", decimals: 0 }]).map((u) => (
            <option key={u.code} value={u.code}>
              {u.code} — {u.name}
            </option>
          ))}
        </SelectField>
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField label="Reorder point" inputMode="decimal" error={errors.reorder_point?.message} hint="Alert when available stock falls to this. 0: never." {...register("reorder_point")} />
        <TextField label="Reorder quantity" inputMode="decimal" error={errors.reorder_quantity?.message} hint="What you usually order." {...register("reorder_quantity")} />
      </div>
      <TextAreaField label="Description" error={errors.description?.message} {...register("description")} />
      <TextAreaField label="Attributes (JSON)" className="font-mono" placeholder='{"thread": "M8", "finish": "zinc"}' error={errors.attributes?.message} {...register("attributes")} />
      {product ? <CheckboxField label="Active" hint="Archived products cannot be received or issued, and leave the list." {...register("is_active")} /> : null}
      {notice}
      {formError ? <Notice tone="bad">{formError}</Notice> : null}
      <div className="flex flex-wrap justify-end gap-2">
        <Button onClick={onCancel}>Cancel</Button>
        <Button type="submit" variant="primary" loading={formState.isSubmitting}>
          {submitLabel}
        </Button>
      </div>
    </form>
  );
}
