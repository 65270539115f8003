import { useDebounced } from "@/lib/useDebounced";
import { ErrorNotice } from "@/ui/Notice";
import { usePreview } from "./api";
import { ServerHtml } from "./parts";

/** What the article will look like: the server renders and sanitises the Markdown (debounced). */
export function MarkdownPreview({ body }: { body: string }) {
  const settled = useDebounced(body, 400);
  const { data, error, isFetching } = usePreview(settled);
  if (!settled.trim()) return <p className="text-sm text-muted">The preview appears here as you write.</p>;
  return (
    <div aria-busy={isFetching && !data ? true : undefined} aria-live="polite">
      {error ? <ErrorNotice error={error} title="No preview" /> : null}
      {data ? <ServerHtml html={data.body_html} className={isFetching || settled !== body ? "opacity-70 transition-opacity" : undefined} /> : null}
    </div>
  );
}
