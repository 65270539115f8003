import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ArticleSuggestions } from "./ArticleSuggestions";
import { fetchSuggestions } from "./suggest";

function serve(status: number, body: unknown) {
  const fetchMock = vi.fn(async () => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } }));
  vi.stubGlobal("fetch", fetchMock);
  return fetchMock;
}

function renderPanel(text: string) {
  return render(
    <QueryClientProvider client={new QueryClient()}>
      <MemoryRouter>
        <ArticleSuggestions text={text} />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(() => vi.unstubAllGlobals());

describe("knowledge suggestions while typing", () => {
  it("lists the articles the knowledge base suggests", async () => {
    const fetchMock = serve(200, { items: [{ id: "a1", slug: "charger", title: "When the charger blinks red", snippet: "the <mark>charger</mark> light", score: 1, url: "/kb/a1" }] });
    renderPanel("Drill charger blinks");
    expect(await screen.findByRole("link", { name: "When the charger blinks red" })).toHaveAttribute("href", "/kb/a1");
    expect(screen.getByText("charger", { selector: "mark" })).toBeInTheDocument();
    expect(String((fetchMock.mock.calls[0] as unknown as [Request])[0].url)).toContain("/api/v1/articles/suggest?text=Drill+charger+blinks");
  });

  it("hides itself when the knowledge module is not there (404), without an error", async () => {
    const fetchMock = serve(404, { type: "x", title: "Not Found", status: 404, detail: "Not Found" });
    const { container } = renderPanel("Drill charger blinks");
    await waitFor(() => expect(fetchMock).toHaveBeenCalled());
    expect(container).toBeEmptyDOMElement();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    // Once the route said "not here", typing asks no more.
    expect(await fetchSuggestions("another text")).toBeNull();
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});
