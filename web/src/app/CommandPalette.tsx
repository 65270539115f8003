import { Package, Search } from "lucide-react";
import { useEffect, useMemo, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { useProductSuggestions } from "@/features/products";
import { useDebounced } from "@/lib/useDebounced";
import { cn } from "@/lib/cn";
import { Dialog } from "@/ui/Dialog";
import type { NavItem } from "./nav";

function typing(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  return !!element && (element.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName));
}

/** Ctrl/Cmd-K searches pages and products; `/` focuses the page's own search box. */
export function CommandPalette({ items }: { items: NavItem[] }) {
  const [open, setOpen] = useState(false);
  const [term, setTerm] = useState("");
  const [active, setActive] = useState(0);
  const navigate = useNavigate();
  const input = useRef<HTMLInputElement>(null);
  const debounced = useDebounced(term, 150);
  const { data: products } = useProductSuggestions(open ? debounced : "");

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "k") {
        event.preventDefault();
        setTerm("");
        setActive(0);
        setOpen(true);
      } else if (event.key === "/" && !typing(event.target)) {
        const search = document.querySelector<HTMLInputElement>("[data-search]");
        if (search) {
          event.preventDefault();
          search.focus();
          search.select();
        }
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  useEffect(() => {
    if (open) setTimeout(() => input.current?.focus(), 0);
  }, [open]);

  const results = useMemo(() => {
    const lower = term.trim().toLowerCase();
    const pages = items
      .filter((item) => !lower || item.label.toLowerCase().includes(lower))
      .map((item) => ({ key: item.to, label: item.label, hint: "Page", to: item.to, icon: item.icon }));
    const found = (products ?? []).map((p) => ({
      key: p.id,
      label: p.name,
      hint: p.sku,
      to: `/products/${p.id}`,
      icon: <Package className="size-5" aria-hidden />,
    }));
    return [...pages, ...found].slice(0, 12);
  }, [items, products, term]);

  const go = (to: string) => {
    setOpen(false);
    navigate(to);
  };

  return (
    <Dialog open={open} onClose={() => setOpen(false)} title="Go to…" description="Pages and products. Enter opens, arrows move.">
      <div className="relative">
        <Search className="pointer-events-none absolute left-3 top-3 size-4 text-muted" aria-hidden />
        <input
          ref={input}
          value={term}
          role="combobox"
          aria-expanded="true"
          aria-controls="palette-results"
          aria-label="Search pages and products"
          placeholder="Type a page, a product name or SKU"
          onChange={(event) => {
            setTerm(event.target.value);
            setActive(0);
          }}
          onKeyDown={(event) => {
            if (event.key === "ArrowDown") setActive((i) => Math.min(i + 1, results.length - 1));
            else if (event.key === "ArrowUp") setActive((i) => Math.max(i - 1, 0));
            else if (event.key === "Enter" && results[active]) go(results[active].to);
            else return;
            event.preventDefault();
          }}
          className="h-10 w-full rounded-lg border border-line bg-surface pl-9 pr-3 text-sm"
        />
      </div>
      <ul id="palette-results" role="listbox" aria-label="Results" className="mt-3 max-h-80 overflow-y-auto">
        {results.map((result, index) => (
          <li key={result.key} role="option" aria-selected={index === active}>
            <button
              type="button"
              onMouseEnter={() => setActive(index)}
              onClick={() => go(result.to)}
              className={cn("flex w-full items-center gap-3 rounded-lg px-3 py-2 text-left text-sm", index === active && "bg-raised")}
            >
              <span className="text-muted">{result.icon}</span>
              <span className="flex-1 truncate font-medium">{result.label}</span>
              <span className="font-mono text-xs text-muted">{result.hint}</span>
            </button>
          </li>
        ))}
      </ul>
    </Dialog>
  );
}
