import { ArrowRight, Search } from "lucide-react";
import { useEffect, useMemo, useRef, useState } from "react";
import type { ReactNode } from "react";
import { useNavigate } from "react-router";
import { describeError } from "@/api/problem";
import { groupHits, Highlight, snippetIsTitle, TYPE_ICON, TYPE_LABEL, useQuickSearch } from "@/features/search";
import { cn } from "@/lib/cn";
import { useDebounced } from "@/lib/useDebounced";
import { Dialog } from "@/ui/Dialog";
import type { NavItem } from "./nav";

function typing(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  return !!element && (element.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName));
}

interface Entry {
  key: string;
  label: ReactNode;
  hint?: ReactNode;
  to: string;
  icon: ReactNode;
}

interface Group {
  id: string;
  title: string;
  count?: number;
  entries: Entry[];
}

/** Ctrl/Cmd-K searches pages and everything the API searches (products, tickets, articles);
 * `/` focuses the page's own search box. */
export function CommandPalette({ items }: { items: NavItem[] }) {
  const [open, setOpen] = useState(false);
  const [term, setTerm] = useState("");
  const [active, setActive] = useState(0);
  const navigate = useNavigate();
  const input = useRef<HTMLInputElement>(null);
  const debounced = useDebounced(term, 150);
  const q = debounced.trim();
  const found = useQuickSearch(open ? debounced : "");

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

  const groups = useMemo(() => {
    const lower = term.trim().toLowerCase();
    const pages = items
      .filter((item) => !lower || item.label.toLowerCase().includes(lower))
      .slice(0, lower ? 4 : 12)
      .map((item) => ({ key: item.to, label: item.label, hint: "Page", to: item.to, icon: item.icon }));
    const out: Group[] = pages.length ? [{ id: "pages", title: "Pages", entries: pages }] : [];
    // Only hits for the term on screen (not the previous term's, kept while the next loads).
    const data = q.length >= 2 && found.data && !found.isPlaceholderData ? found.data : null;
    if (data) {
      for (const [type, hits] of groupHits(data.items)) {
        out.push({
          id: type,
          title: TYPE_LABEL[type],
          count: data.facets[type] ?? hits.length,
          entries: hits.map((hit) => ({
            key: `${hit.type}:${hit.id}`,
            // A snippet that is only the title marks the title instead of repeating it.
            label: snippetIsTitle(hit.snippet, hit.title) ? <Highlight snippet={hit.snippet} /> : hit.title,
            hint: snippetIsTitle(hit.snippet, hit.title) ? undefined : <Highlight snippet={hit.snippet} />,
            to: hit.url,
            icon: TYPE_ICON[hit.type],
          })),
        });
      }
      if (data.items.length) {
        out.push({ id: "all", title: "", entries: [{ key: "all", label: `All results for “${q}”`, to: `/search?q=${encodeURIComponent(q)}`, icon: <ArrowRight className="size-5" aria-hidden /> }] });
      }
    }
    return out;
  }, [items, term, q, found.data, found.isPlaceholderData]);
  const flat = groups.flatMap((group) => group.entries);
  const current = Math.min(active, flat.length - 1);

  const go = (to: string) => {
    setOpen(false);
    navigate(to);
  };
  const searching = q.length >= 2 && (found.isFetching || debounced !== term);
  const starts = groups.map((_, g) => groups.slice(0, g).reduce((sum, group) => sum + group.entries.length, 0));

  return (
    <Dialog open={open} onClose={() => setOpen(false)} title="Search" description="Pages, products, tickets and articles. Arrows move, Enter opens.">
      <div className="relative">
        <Search className="pointer-events-none absolute left-3 top-3 size-4 text-muted" aria-hidden />
        <input
          ref={input}
          value={term}
          role="combobox"
          aria-expanded="true"
          aria-controls="palette-results"
          aria-autocomplete="list"
          aria-activedescendant={flat[current] ? `palette-option-${current}` : undefined}
          aria-label="Search everything"
          placeholder="A page, a SKU, a ticket number, an article…"
          onChange={(event) => {
            setTerm(event.target.value);
            setActive(0);
          }}
          onKeyDown={(event) => {
            if (event.key === "ArrowDown") setActive(Math.min(current + 1, flat.length - 1));
            else if (event.key === "ArrowUp") setActive(Math.max(current - 1, 0));
            else if (event.key === "Enter" && flat[current]) go(flat[current].to);
            else return;
            event.preventDefault();
          }}
          className="h-10 w-full rounded-lg border border-line bg-surface pl-9 pr-3 text-sm"
        />
      </div>
      <p className="sr-only" aria-live="polite">
        {searching ? "Searching…" : q.length >= 2 && found.data ? `${found.data.items.length} results` : ""}
      </p>
      <div id="palette-results" role="listbox" aria-label="Results" className="mt-3 max-h-[60vh] space-y-2 overflow-y-auto">
        {groups.map((group, g) => (
          <div key={group.id} role="group" aria-labelledby={group.title ? `palette-group-${group.id}` : undefined} aria-label={group.title ? undefined : "More"}>
            {group.title ? (
              <div id={`palette-group-${group.id}`} className="flex items-center justify-between px-3 pb-1 pt-2 text-xs font-semibold uppercase tracking-wide text-muted">
                <span>{group.title}</span>
                {group.count !== undefined ? <span className="num font-normal normal-case">{group.count}</span> : null}
              </div>
            ) : null}
            {group.entries.map((entry, n) => {
              const mine = (starts[g] ?? 0) + n;
              return (
                <div
                  key={entry.key}
                  id={`palette-option-${mine}`}
                  role="option"
                  aria-selected={mine === current}
                  // A real move only: a list appearing under a resting pointer must not steal the selection.
                  onMouseMove={() => mine !== current && setActive(mine)}
                  onClick={() => go(entry.to)}
                  className={cn("flex cursor-pointer items-center gap-3 rounded-lg px-3 py-2 text-sm", mine === current && "bg-raised")}
                >
                  <span className="text-muted">{entry.icon}</span>
                  <span className="min-w-0 flex-1">
                    <span className="block truncate font-medium">{entry.label}</span>
                    {entry.hint && group.id !== "pages" ? <span className="block truncate text-xs text-muted">{entry.hint}</span> : null}
                  </span>
                  {group.id === "pages" ? <span className="text-xs text-muted">{entry.hint}</span> : null}
                </div>
              );
            })}
          </div>
        ))}
        {q.length >= 2 && found.error ? <p className="px-3 py-2 text-sm text-bad">{describeError(found.error)}</p> : null}
        {q.length >= 2 && !searching && found.data && !found.data.items.length && !found.isPlaceholderData ? (
          <p className="px-3 py-2 text-sm text-muted">Nothing found for “{q}”. Try fewer or other words.</p>
        ) : null}
      </div>
    </Dialog>
  );
}
