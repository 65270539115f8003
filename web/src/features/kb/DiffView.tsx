import { useState } from "react";
import { cn } from "@/lib/cn";
import type { DiffLine } from "./contract";

const CONTEXT = 3;

type Block = { kind: "lines"; lines: DiffLine[] } | { kind: "folded"; lines: DiffLine[]; id: number };

/** Long runs of unchanged lines fold to their first and last few (expandable). */
export function foldUnchanged(lines: DiffLine[], context = CONTEXT): Block[] {
  const blocks: Block[] = [];
  let shown: DiffLine[] = [];
  let i = 0;
  while (i < lines.length) {
    let j = i;
    while (j < lines.length && lines[j]!.op === "equal") j += 1;
    const run = lines.slice(i, j);
    const head = i === 0 ? 0 : context;
    const tail = j === lines.length ? 0 : context;
    if (run.length > head + tail + 2) {
      shown.push(...run.slice(0, head));
      blocks.push({ kind: "lines", lines: shown });
      blocks.push({ kind: "folded", lines: run.slice(head, run.length - tail), id: i });
      shown = run.slice(run.length - tail);
    } else {
      shown.push(...run);
    }
    while (j < lines.length && lines[j]!.op !== "equal") shown.push(lines[j++]!);
    i = j;
  }
  if (shown.length) blocks.push({ kind: "lines", lines: shown });
  return blocks;
}

const ROW: Record<DiffLine["op"], string> = {
  equal: "",
  insert: "bg-good-soft",
  delete: "bg-bad-soft",
};
const SIGN: Record<DiffLine["op"], string> = { equal: " ", insert: "+", delete: "−" };
const SAID: Record<DiffLine["op"], string> = { equal: "", insert: "Added: ", delete: "Removed: " };

function Row({ line }: { line: DiffLine }) {
  return (
    <tr className={ROW[line.op]} data-op={line.op}>
      <td className="w-10 select-none border-r border-line px-2 text-right text-muted">{line.old_number ?? ""}</td>
      <td className="w-10 select-none border-r border-line px-2 text-right text-muted">{line.new_number ?? ""}</td>
      <td className={cn("w-5 select-none text-center", line.op === "insert" && "text-good", line.op === "delete" && "text-bad")} aria-hidden>
        {SIGN[line.op]}
      </td>
      <td className={cn("whitespace-pre-wrap break-words pr-3", line.op === "delete" && "text-bad", line.op === "insert" && "text-good")}>
        <span className="sr-only">{SAID[line.op]}</span>
        {line.text || "\u00a0"}
      </td>
    </tr>
  );
}

/** A line diff between two revisions: removed lines red, added green, both line numbers. */
export function DiffView({ lines, label }: { lines: DiffLine[]; label: string }) {
  const [open, setOpen] = useState<Set<number>>(new Set());
  if (!lines.some((line) => line.op !== "equal")) return <p className="p-4 text-sm text-muted">The text is the same in both revisions.</p>;
  const added = lines.filter((l) => l.op === "insert").length;
  const removed = lines.filter((l) => l.op === "delete").length;
  return (
    <div>
      <p className="num px-3 py-2 text-xs text-muted">
        <span className="font-medium text-good">+{added}</span> added, <span className="font-medium text-bad">−{removed}</span> removed
      </p>
      <div className="overflow-x-auto" tabIndex={0} role="region" aria-label={label}>
        <table className="num w-full border-collapse font-mono text-xs leading-6" aria-label={label}>
          <thead className="sr-only">
            <tr>
              <th scope="col">Old line</th>
              <th scope="col">New line</th>
              <th scope="col">Change</th>
              <th scope="col">Text</th>
            </tr>
          </thead>
          {foldUnchanged(lines).map((block, index) =>
            block.kind === "lines" || open.has(block.id) ? (
              <tbody key={index}>
                {block.lines.map((line, n) => (
                  <Row key={n} line={line} />
                ))}
              </tbody>
            ) : (
              <tbody key={index}>
                <tr>
                  <td colSpan={4} className="border-y border-line bg-raised px-3 py-1 text-center">
                    <button type="button" className="text-accent-strong hover:underline" onClick={() => setOpen(new Set(open).add(block.id))}>
                      Show {block.lines.length} unchanged lines
                    </button>
                  </td>
                </tr>
              </tbody>
            ),
          )}
        </table>
      </div>
    </div>
  );
}
