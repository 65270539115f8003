import { LifeBuoy, Search } from "lucide-react";
import { useEffect } from "react";
import type { ReactNode } from "react";
import { Link, useNavigate } from "react-router";

/** "acme-supplies" → "Acme Supplies": the public endpoints name no organisation. A short
 * hex suffix that made a slug unique ("acme-supplies-ef9b56") is not part of the name. */
export function organisationName(slug: string): string {
  const words = slug.split(/[-_]+/).filter(Boolean);
  if (words.length > 1 && /^(?=.*\d)[0-9a-f]{4,8}$/.test(words.at(-1)!)) words.pop();
  return words
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join(" ");
}

export function useDocumentTitle(title: string): void {
  useEffect(() => {
    const before = document.title;
    document.title = title;
    return () => {
      document.title = before;
    };
  }, [title]);
}

/** The public help centre's frame: no app shell, nothing of the internal app. */
export function HelpLayout({ tenant, children, search = "", onSearch }: { tenant: string; children: ReactNode; search?: string; onSearch?: (q: string) => void }) {
  const navigate = useNavigate();
  const home = `/help/${encodeURIComponent(tenant)}`;
  return (
    <div className="min-h-full bg-canvas">
      <header className="border-b border-line bg-surface">
        <div className="mx-auto max-w-3xl px-4 py-5 sm:py-8">
          <Link to={home} className="inline-flex items-center gap-2 text-accent">
            <LifeBuoy className="size-6" aria-hidden />
            <span className="text-lg font-semibold text-ink">{organisationName(tenant)} help centre</span>
          </Link>
          <form
            role="search"
            className="relative mt-4"
            onSubmit={(event) => {
              event.preventDefault();
              const q = new FormData(event.currentTarget).get("q")?.toString().trim() ?? "";
              navigate(q ? `${home}?q=${encodeURIComponent(q)}` : home);
            }}
          >
            <label htmlFor="help-search" className="sr-only">
              Search the help centre
            </label>
            <Search className="pointer-events-none absolute left-3.5 top-3.5 size-5 text-muted" aria-hidden />
            <input
              id="help-search"
              name="q"
              type="search"
              {...(onSearch ? { value: search, onChange: (event: React.ChangeEvent<HTMLInputElement>) => onSearch(event.target.value) } : {})}
              placeholder="How can we help?"
              className="block h-12 w-full rounded-xl border border-line bg-canvas pl-11 pr-4 text-base text-ink placeholder:text-muted focus:border-accent focus:outline-none focus:ring-2 focus:ring-accent/30"
            />
          </form>
        </div>
      </header>
      <main id="main" className="mx-auto max-w-3xl px-4 py-6 sm:py-10">
        {children}
      </main>
    </div>
  );
}
