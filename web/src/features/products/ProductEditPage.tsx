import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate, useParams } from "react-router";
import type { Product } from "@/api/client";
import { ApiError } from "@/api/problem";
import { Button } from "@/ui/Button";
import { Card, PageHeader, Skeleton } from "@/ui/layout";
import { ErrorNotice, Notice } from "@/ui/Notice";
import { useToast } from "@/ui/toast-context";
import { bodyOf, ProductForm } from "./ProductForm";
import type { ProductValues } from "./ProductForm";
import { updateProduct, useProduct } from "./api";
import type { ProductUpdate } from "./api";
import { productKeys } from "./keys";

/** Editing keeps the version the form was opened with: a save over someone else's change is
 * refused (412) and explained, and the edits typed so far stay in the form. */
export default function ProductEditPage() {
  const { productId = "" } = useParams();
  const { data: latest, error, refetch } = useProduct(productId);
  const [base, setBase] = useState<Product | null>(null);
  const [conflict, setConflict] = useState(false);
  const navigate = useNavigate();
  const client = useQueryClient();
  const toast = useToast();

  // The version the form was opened with (set once, during render: derived state).
  if (latest && !base) setBase(latest);

  if (error) return <ErrorNotice error={error} title="This product could not be loaded" />;
  if (!base || !latest) return <Skeleton className="h-96 max-w-3xl" />;
  const changedMeanwhile = latest.version !== base.version;

  const save = async (values: ProductValues, dirty: Set<keyof ProductValues>) => {
    const full = bodyOf(values);
    const body: ProductUpdate = {};
    for (const field of dirty) Object.assign(body, { [field]: full[field as keyof typeof full] });
    if (!Object.keys(body).length) {
      navigate(`/products/${base.id}`);
      return;
    }
    try {
      const saved = await updateProduct(base, body);
      client.setQueryData(productKeys.detail(saved.id), saved);
      toast({ tone: "good", title: `Saved ${saved.sku}` });
      navigate(`/products/${saved.id}`);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 412) {
        setConflict(true);
        return;
      }
      throw failure;
    }
  };

  const reload = async () => {
    const fresh = await refetch();
    if (fresh.data) setBase(fresh.data);
    setConflict(false);
  };

  const notice =
    conflict || changedMeanwhile ? (
      <Notice
        tone={conflict ? "bad" : "warn"}
        title={conflict ? "Not saved: changed by someone else" : "Someone else changed this product"}
        action={<Button size="sm" onClick={() => void reload()}>Reload</Button>}
      >
        {conflict
          ? "This product was changed after you opened it. Reload to see their version; the fields you edited keep your values. Then save again."
          : "It was changed after you opened this form. Reload to see their version before you save; your edits stay."}
      </Notice>
    ) : null;

  return (
    <>
      <PageHeader title={`Edit ${base.name}`} description={<span className="font-mono">{base.sku}</span>} />
      <Card className="max-w-3xl p-5">
        <ProductForm product={base} submitLabel="Save changes" onCancel={() => navigate(`/products/${base.id}`)} onSubmit={save} notice={notice} />
      </Card>
    </>
  );
}
