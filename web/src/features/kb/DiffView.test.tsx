import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { DiffLine } from "./contract";
import { DiffView, foldUnchanged } from "./DiffView";

const equal = (n: number, offset = 0): DiffLine => ({ op: "equal", old_number: n, new_number: n + offset, text: `line ${n}` });

function lines(): DiffLine[] {
  const out: DiffLine[] = [];
  for (let n = 1; n <= 12; n += 1) out.push(equal(n));
  out.push({ op: "delete", old_number: 13, new_number: null, text: "Returns within 14 days." });
  out.push({ op: "insert", old_number: null, new_number: 13, text: "Returns within 30 days." });
  out.push(equal(14));
  return out;
}

describe("the line diff", () => {
  it("colours removed and added lines and numbers both sides", () => {
    const { container } = render(<DiffView lines={lines()} label="Changes" />);
    const removed = container.querySelector('tr[data-op="delete"]')!;
    const added = container.querySelector('tr[data-op="insert"]')!;
    expect(removed).toHaveClass("bg-bad-soft");
    expect(removed).toHaveTextContent("Removed: Returns within 14 days.");
    expect([...removed.querySelectorAll("td")].slice(0, 2).map((td) => td.textContent)).toEqual(["13", ""]);
    expect(added).toHaveClass("bg-good-soft");
    expect(added).toHaveTextContent("Added: Returns within 30 days.");
    expect([...added.querySelectorAll("td")].slice(0, 2).map((td) => td.textContent)).toEqual(["", "13"]);
    expect(screen.getByText(/added/)).toHaveTextContent("+1 added, −1 removed");
  });

  it("folds long unchanged runs around the change and unfolds them on request", async () => {
    const { container } = render(<DiffView lines={lines()} label="Changes" />);
    // Lines 1–9 folded (the 3 before the change stay), line 14 after it shown.
    expect(container.querySelectorAll('tr[data-op="equal"]')).toHaveLength(4);
    await userEvent.click(screen.getByRole("button", { name: "Show 9 unchanged lines" }));
    expect(container.querySelectorAll('tr[data-op="equal"]')).toHaveLength(13);
  });

  it("says so when the text did not change", () => {
    render(<DiffView lines={[equal(1), equal(2)]} label="Changes" />);
    expect(screen.getByText("The text is the same in both revisions.")).toBeInTheDocument();
  });

  it("keeps every line once when folding", () => {
    const all = [...lines(), ...Array.from({ length: 20 }, (_, i) => equal(15 + i))];
    const blocks = foldUnchanged(all);
    expect(blocks.flatMap((b) => b.lines)).toEqual(all);
  });
});
