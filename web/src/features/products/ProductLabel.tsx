import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { Skeleton } from "@/ui/layout";
import { productQuery } from "./api";

/** A product's name and SKU from its id (lists that carry only ids), linking to its page. */
export function ProductLabel({ id, link = true }: { id: string; link?: boolean }) {
  const { data, isError } = useQuery(productQuery(id));
  if (isError) return <span className="text-muted">Unknown product</span>;
  if (!data) return <Skeleton className="h-4 w-40" />;
  const body = (
    <>
      <span className="font-medium text-ink">{data.name}</span>
      <span className="ml-2 font-mono text-xs text-muted">{data.sku}</span>
    </>
  );
  return link ? (
    <Link to={`/products/${data.id}`} className="hover:underline">
      {body}
    </Link>
  ) : (
    <span>{body}</span>
  );
}

/** The unit of a product, for quantities shown beside it. */
export function useProductUnit(id: string | undefined): string | undefined {
  const { data } = useQuery({ ...productQuery(id ?? ""), enabled: !!id });
  return data?.unit;
}
