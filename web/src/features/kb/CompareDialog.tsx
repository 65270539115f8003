import { Dialog } from "@/ui/Dialog";
import { Skeleton } from "@/ui/layout";
import { ErrorNotice } from "@/ui/Notice";
import { useDiff } from "./api";
import { DiffView } from "./DiffView";

/** What changed between the revision being edited and the current one, without leaving the editor. */
export function CompareDialog({ open, articleId, from, to, onClose }: { open: boolean; articleId: string; from: number; to: number; onClose: () => void }) {
  const { data, error } = useDiff(articleId, open ? from : null, to);
  return (
    <Dialog open={open} onClose={onClose} title={`Revision ${from} → ${to}`} description="What changed since you opened the article. Your edits are still in the form.">
      {error ? <ErrorNotice error={error} title="The comparison could not be loaded" /> : null}
      {data ? (
        <>
          {data.title_changed ? <p className="mb-2 text-sm">The title changed too.</p> : null}
          <DiffView lines={data.lines} label={`Changes from revision ${from} to ${to}`} />
        </>
      ) : error ? null : (
        <Skeleton className="h-40" />
      )}
    </Dialog>
  );
}
