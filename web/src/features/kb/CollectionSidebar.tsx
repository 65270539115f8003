import { FolderOpen, Library, Pencil, Plus } from "lucide-react";
import { useState } from "react";
import { useCan } from "@/auth/context";
import { cn } from "@/lib/cn";
import { Button } from "@/ui/Button";
import { Skeleton } from "@/ui/layout";
import { CollectionDialog } from "./CollectionDialog";
import type { Collection } from "./contract";
import { flattenTree } from "./tree";

interface Props {
  collections: Collection[] | undefined;
  selected: string | null;
  onSelect: (id: string | null) => void;
}

/** The collections as a tree; managers create and rename them here. */
export function CollectionSidebar({ collections, selected, onSelect }: Props) {
  const canWrite = useCan("knowledge:write");
  const [dialog, setDialog] = useState<{ editing: Collection | null } | null>(null);
  const entries = flattenTree(collections ?? []);
  const item = (active: boolean) =>
    cn("flex min-w-0 flex-1 items-center gap-2 rounded-lg px-2 py-1.5 text-left text-sm", active ? "bg-accent-soft font-medium text-accent-strong" : "text-ink hover:bg-raised");

  return (
    <nav aria-label="Collections" className="space-y-2">
      <div className="flex items-center justify-between px-2">
        <h2 className="text-xs font-semibold uppercase tracking-wide text-muted">Collections</h2>
        {canWrite ? (
          <Button size="sm" variant="ghost" icon={<Plus className="size-4" aria-hidden />} onClick={() => setDialog({ editing: null })}>
            New
          </Button>
        ) : null}
      </div>
      <ul className="space-y-0.5">
        <li className="flex">
          <button type="button" aria-current={selected === null ? "true" : undefined} className={item(selected === null)} onClick={() => onSelect(null)}>
            <Library className="size-4 shrink-0 text-muted" aria-hidden />
            All articles
          </button>
        </li>
        {collections === undefined ? <Skeleton className="mx-2 h-24" /> : null}
        {entries.map(({ collection, depth }) => (
          <li key={collection.id} className="group flex items-center gap-1" style={{ paddingLeft: `${depth * 0.9}rem` }}>
            <button
              type="button"
              aria-current={selected === collection.id ? "true" : undefined}
              className={item(selected === collection.id)}
              onClick={() => onSelect(collection.id)}
            >
              <FolderOpen className="size-4 shrink-0 text-muted" aria-hidden />
              <span className="flex-1 truncate">{collection.name}</span>
              <span className="num text-xs text-muted">{collection.article_count}</span>
            </button>
            {canWrite ? (
              <button
                type="button"
                aria-label={`Rename ${collection.name}`}
                onClick={() => setDialog({ editing: collection })}
                className="rounded p-1.5 text-muted hover:bg-raised hover:text-ink focus:opacity-100 md:opacity-0 md:group-hover:opacity-100"
              >
                <Pencil className="size-3.5" aria-hidden />
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      {collections?.length === 0 ? <p className="px-2 text-sm text-muted">{canWrite ? "No collections yet — add one to group articles." : "No collections yet."}</p> : null}
      <CollectionDialog open={dialog !== null} editing={dialog?.editing ?? null} collections={collections ?? []} onClose={() => setDialog(null)} />
    </nav>
  );
}
