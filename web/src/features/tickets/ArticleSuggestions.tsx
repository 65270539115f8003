import { BookOpen } from "lucide-react";
import { Link } from "react-router";
import { useDebounced } from "@/lib/useDebounced";
import { Card, CardHeader } from "@/ui/layout";
import { useArticleSuggestions } from "./suggest";

/** Knowledge articles that may answer what is being typed; hidden when the knowledge base
 * is not installed (or nothing was typed yet). */
export function ArticleSuggestions({ text }: { text: string }) {
  const settled = useDebounced(text, 400);
  const { data } = useArticleSuggestions(settled);
  if (!data) return null;
  return (
    <Card aria-live="polite">
      <CardHeader title="Suggested articles" description="From your knowledge base, for what you typed." />
      {data.length ? (
        <ul className="divide-y divide-line text-sm">
          {data.map((article) => (
            <li key={article.id} className="px-4 py-3">
              <Link to={article.url} target="_blank" className="flex items-start gap-2 font-medium text-accent hover:underline">
                <BookOpen className="mt-0.5 size-4 shrink-0" aria-hidden />
                {article.title}
              </Link>
              {/* The snippet is escaped text with <mark> around the matches (the API's promise). */}
              <p className="mt-1 text-muted [&_mark]:bg-accent-soft [&_mark]:text-ink" dangerouslySetInnerHTML={{ __html: article.snippet }} />
            </li>
          ))}
        </ul>
      ) : (
        <p className="px-4 py-3 text-sm text-muted">No article matches yet.</p>
      )}
    </Card>
  );
}
