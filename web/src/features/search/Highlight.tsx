import type { ReactNode } from "react";

const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

/** The text of HTML-escaped text: &amp; &lt; &#39; &#x27; … (unknown entities stay as typed). */
export function unescapeText(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity[0] === "#") {
      const code = entity[1] === "x" || entity[1] === "X" ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED[entity.toLowerCase()] ?? whole;
  });
}

/**
 * A search snippet: HTML-escaped text whose matches are wrapped in <mark>…</mark>. Only those
 * two tags are read; everything else becomes text (React escapes it), so nothing in a
 * snippet can ever become markup, whatever the indexed document contained.
 */
export function highlightParts(snippet: string): { text: string; marked: boolean }[] {
  const parts: { text: string; marked: boolean }[] = [];
  let marked = false;
  let last = 0;
  const push = (raw: string) => {
    if (raw) parts.push({ text: unescapeText(raw), marked });
  };
  for (const match of snippet.matchAll(/<(\/?)mark>/gi)) {
    push(snippet.slice(last, match.index));
    marked = match[1] !== "/";
    last = match.index + match[0].length;
  }
  push(snippet.slice(last));
  return parts;
}

/** Whether a snippet is only the title (then the title itself is shown marked). */
export function snippetIsTitle(snippet: string, title: string): boolean {
  return highlightParts(snippet).map((part) => part.text).join("").trim() === title.trim();
}

export function Highlight({ snippet, className }: { snippet: string; className?: string }): ReactNode {
  return (
    <span className={className}>
      {highlightParts(snippet).map((part, index) =>
        part.marked ? (
          <mark key={index} className="rounded-sm bg-accent-soft px-0.5 font-medium text-accent-strong">
            {part.text}
          </mark>
        ) : (
          <span key={index}>{part.text}</span>
        ),
      )}
    </span>
  );
}
