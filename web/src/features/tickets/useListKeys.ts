import { useEffect } from "react";
import type { RefObject } from "react";

function typing(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  if (!element) return false;
  return element.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName);
}

/**
 * j/k (or the arrow keys inside the list) move between the rows' links; Enter opens the
 * focused one (a link does that by itself). Keys typed into a field are left alone.
 */
export function useListKeys(container: RefObject<HTMLElement | null>): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.metaKey || event.ctrlKey || event.altKey) return;
      const root = container.current;
      if (!root) return;
      const inList = root.contains(document.activeElement);
      const down = event.key === "j" || (inList && event.key === "ArrowDown");
      const up = event.key === "k" || (inList && event.key === "ArrowUp");
      if ((!down && !up) || typing(event.target)) return;
      const rows = Array.from(root.querySelectorAll<HTMLElement>("[data-row-link]"));
      if (!rows.length) return;
      event.preventDefault();
      const current = rows.indexOf(document.activeElement as HTMLElement);
      const next = current === -1 ? 0 : Math.max(0, Math.min(rows.length - 1, current + (down ? 1 : -1)));
      rows[next]?.focus();
      rows[next]?.scrollIntoView({ block: "nearest" });
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [container]);
}
