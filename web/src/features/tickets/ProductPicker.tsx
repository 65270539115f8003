import { Package, X } from "lucide-react";
import { useId, useState } from "react";
import { ProductLabel, useProductSuggestions } from "@/features/products";
import { useDebounced } from "@/lib/useDebounced";
import { inputClass } from "@/ui/Field";

interface Props {
  value: string[];
  onChange: (ids: string[]) => void;
  label?: string;
}

/** Linked products: search by name or SKU, pick with a click or Enter; chips to remove. */
export function ProductPicker({ value, onChange, label = "Linked products" }: Props) {
  const id = useId();
  const [term, setTerm] = useState("");
  const q = useDebounced(term, 200);
  const { data: found, isFetching } = useProductSuggestions(q);
  const choices = (found ?? []).filter((p) => !value.includes(p.id));
  const add = (productId: string) => {
    onChange([...value, productId]);
    setTerm("");
  };

  return (
    <div className="space-y-1.5">
      <label htmlFor={id} className="block text-sm font-medium">
        {label}
      </label>
      {value.length ? (
        <ul className="flex flex-wrap gap-2" aria-label="Chosen products">
          {value.map((productId) => (
            <li key={productId} className="inline-flex items-center gap-1 rounded-lg border border-line bg-raised py-1 pl-2 pr-1 text-sm">
              <Package className="size-3.5 text-muted" aria-hidden />
              <ProductLabel id={productId} link={false} />
              <button type="button" onClick={() => onChange(value.filter((p) => p !== productId))} className="rounded p-0.5 text-muted hover:text-ink" aria-label="Remove product">
                <X className="size-3.5" aria-hidden />
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <input
        id={id}
        type="search"
        value={term}
        autoComplete="off"
        onChange={(e) => setTerm(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && choices[0]) {
            e.preventDefault();
            add(choices[0].id);
          }
        }}
        placeholder="Search products by name or SKU"
        className={`${inputClass} h-10 text-sm`}
        aria-describedby={`${id}-hint`}
      />
      <p id={`${id}-hint`} className="sr-only">
        Type at least two characters; Enter picks the first match.
      </p>
      {q.trim().length >= 2 ? (
        <ul className="max-h-56 overflow-y-auto rounded-lg border border-line bg-surface text-sm" aria-label="Matching products" aria-busy={isFetching || undefined}>
          {choices.length ? (
            choices.map((p) => (
              <li key={p.id}>
                <button type="button" onClick={() => add(p.id)} className="flex w-full items-center justify-between gap-3 px-3 py-2 text-left hover:bg-raised focus:bg-accent-soft focus:outline-none">
                  <span className="truncate font-medium">{p.name}</span>
                  <span className="font-mono text-xs text-muted">{p.sku}</span>
                </button>
              </li>
            ))
          ) : (
            <li className="px-3 py-2 text-muted">{isFetching ? "Searching…" : "No product matches."}</li>
          )}
        </ul>
      ) : null}
    </div>
  );
}
