import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Highlight, highlightParts, unescapeText } from "./Highlight";

describe("the snippet renderer", () => {
  it("turns <mark> into mark elements and keeps the rest as text", () => {
    const { container } = render(<Highlight snippet="Cordless <mark>drill</mark> 18V, <mark>DRL</mark>-18" />);
    const marks = container.querySelectorAll("mark");
    expect([...marks].map((m) => m.textContent)).toEqual(["drill", "DRL"]);
    expect(container.textContent).toBe("Cordless drill 18V, DRL-18");
  });

  it("shows escaped markup as the characters it stands for, never as elements", () => {
    const { container } = render(<Highlight snippet={'&lt;script&gt;alert(1)&lt;/script&gt; <mark>M8</mark> &amp; &quot;A4&quot; &#39;x&#x27;'} />);
    expect(container.querySelector("script")).toBeNull();
    expect(container.textContent).toBe("<script>alert(1)</script> M8 & \"A4\" 'x'");
  });

  it("never injects other tags, even unescaped ones a broken server might send", () => {
    const { container } = render(<Highlight snippet={'<img src=x onerror="alert(1)"><b>bold</b> <mark onclick="x()">hit</mark><mark>ok</mark>'} />);
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("b")).toBeNull();
    const marks = container.querySelectorAll("mark");
    expect(marks).toHaveLength(1);
    expect(marks[0]!.textContent).toBe("ok");
    expect(marks[0]!.getAttribute("onclick")).toBeNull();
    expect(container.textContent).toContain('<img src=x onerror="alert(1)">');
  });

  it("handles a mark left open, a stray close and case", () => {
    expect(highlightParts("a </mark>b <MARK>c")).toEqual([
      { text: "a ", marked: false },
      { text: "b ", marked: false },
      { text: "c", marked: true },
    ]);
  });

  it("leaves unknown or impossible entities as typed", () => {
    expect(unescapeText("&bogus; &#0; &#x110000; &lt;")).toBe("&bogus; &#0; &#x110000; <");
  });
});
