import { Archive, Eye, FileText, Globe, Lock } from "lucide-react";
import { cn } from "@/lib/cn";
import { Badge } from "@/ui/layout";
import type { ArticleStatus, Visibility } from "./contract";

const STATUS: Record<ArticleStatus, { label: string; tone: "neutral" | "good" | "warn"; icon: React.ReactNode }> = {
  draft: { label: "Draft", tone: "warn", icon: <FileText className="size-3" aria-hidden /> },
  published: { label: "Published", tone: "good", icon: <Eye className="size-3" aria-hidden /> },
  archived: { label: "Archived", tone: "neutral", icon: <Archive className="size-3" aria-hidden /> },
};

export function StatusBadge({ status }: { status: ArticleStatus }) {
  const { label, tone, icon } = STATUS[status];
  return (
    <Badge tone={tone}>
      {icon}
      {label}
    </Badge>
  );
}

export function VisibilityBadge({ visibility }: { visibility: Visibility }) {
  return visibility === "public" ? (
    <Badge tone="accent">
      <Globe className="size-3" aria-hidden />
      Public
    </Badge>
  ) : (
    <Badge>
      <Lock className="size-3" aria-hidden />
      Internal
    </Badge>
  );
}

/**
 * An article's body as the server rendered it. The server renders Markdown with
 * markdown-it-py and sanitises it with nh3 (no script, no event handlers, no javascript:
 * links), so this is the one place HTML from the API is injected — and only that HTML.
 */
export function ServerHtml({ html, className }: { html: string; className?: string }) {
  return <div className={cn("kb-prose", className)} dangerouslySetInnerHTML={{ __html: html }} />;
}
