import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes, useLocation } from "react-router";
import { beforeAll, describe, expect, it } from "vitest";
import { fakeApi } from "@/test/http";
import { CommandPalette } from "./CommandPalette";
import type { NavItem } from "./nav";

const NAV: NavItem[] = [
  { to: "/products", label: "Products", icon: null, permission: "catalog:read", section: "work" },
  { to: "/kb", label: "Knowledge", icon: null, permission: "knowledge:read", section: "work" },
];

const HITS = {
  items: [
    { type: "product", id: "p1", title: "Cordless drill 18V", snippet: "<mark>DRL</mark>-18V · 4006381333931", score: 9, url: "/products/p1" },
    { type: "article", id: "a1", title: "Charging the drill battery", snippet: "Before first use, charge the <mark>drill</mark> &lt;fully&gt;", score: 5, url: "/kb/a1" },
    { type: "product", id: "p2", title: "Drill bit set", snippet: "<mark>DRL</mark>-BITS", score: 4, url: "/products/p2" },
  ],
  next_cursor: null,
  facets: { product: 14, article: 3, ticket: 0 },
};

function Where() {
  const location = useLocation();
  return <p data-testid="where">{location.pathname}</p>;
}

function renderPalette() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={["/"]}>
        <CommandPalette items={NAV} />
        <Routes>
          <Route path="*" element={<Where />} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

async function openAndType(text: string) {
  const user = userEvent.setup();
  await user.keyboard("{Control>}k{/Control}");
  const box = await screen.findByRole("combobox", { name: "Search everything" });
  await waitFor(() => expect(box).toHaveFocus());
  await user.type(box, text);
  return { user, box };
}

describe("the command palette", () => {
  beforeAll(() => {
    // jsdom has <dialog> but not its modal methods.
    HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
      this.setAttribute("open", "");
    };
    HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
      this.removeAttribute("open");
    };
  });

  it("groups hits by type with the facets' counts and highlighted snippets", async () => {
    const api = fakeApi((r) => (r.path === "/api/v1/search" ? Response.json(HITS) : undefined));
    renderPalette();
    await openAndType("drl");
    const products = await screen.findByRole("group", { name: /Products/ });
    expect(products).toHaveTextContent("14");
    expect(within(products).getAllByRole("option").map((o) => o.textContent)).toEqual([
      expect.stringContaining("Cordless drill 18V"),
      expect.stringContaining("Drill bit set"),
    ]);
    const articles = screen.getByRole("group", { name: /Articles/ });
    expect(articles).toHaveTextContent("3");
    expect(within(articles).getByText("drill").tagName).toBe("MARK");
    expect(articles).toHaveTextContent("charge the drill <fully>");
    expect(screen.queryByRole("group", { name: /Tickets/ })).toBeNull();
    expect(api.requests.at(-1)!.search.get("q")).toBe("drl");
  });

  it("moves with the arrows across groups and opens the hit's url with Enter", async () => {
    fakeApi((r) => (r.path === "/api/v1/search" ? Response.json(HITS) : undefined));
    renderPalette();
    const { user, box } = await openAndType("drl");
    await screen.findByRole("group", { name: /Articles/ });
    const options = screen.getAllByRole("option");
    expect(options[0]).toHaveAttribute("aria-selected", "true");
    expect(options[0]).toHaveTextContent("Cordless drill 18V");
    await user.keyboard("{ArrowDown}{ArrowDown}");
    expect(screen.getAllByRole("option")[2]).toHaveAttribute("aria-selected", "true");
    expect(box).toHaveAttribute("aria-activedescendant", screen.getAllByRole("option")[2]!.id);
    await user.keyboard("{ArrowUp}");
    expect(screen.getAllByRole("option")[1]).toHaveTextContent("Drill bit set");
    await user.keyboard("{ArrowDown}{Enter}");
    expect(screen.getByTestId("where")).toHaveTextContent("/kb/a1");
  });

  it("aborts the request for a term the user has typed past", async () => {
    let release: (() => void) | null = null;
    const api = fakeApi((r) => {
      if (r.path !== "/api/v1/search") return undefined;
      if (r.search.get("q") === "dr") return new Promise<Response>((resolve) => (release = () => resolve(Response.json(HITS))));
      return Response.json(HITS);
    });
    renderPalette();
    const { user, box } = await openAndType("dr");
    await waitFor(() => expect(api.requests.some((r) => r.search.get("q") === "dr")).toBe(true));
    await user.type(box, "ill");
    await screen.findByRole("group", { name: /Products/ });
    const first = api.requests.find((r) => r.search.get("q") === "dr")!;
    expect(first.signal.aborted).toBe(true);
    expect(api.requests.at(-1)!.search.get("q")).toBe("drill");
    (release as (() => void) | null)?.();
  });

  it("marks the title itself when the snippet is only the title, instead of repeating it", async () => {
    const page = { items: [{ type: "product", id: "p9", title: "Hex bolt M8", snippet: "<mark>Hex</mark> bolt M8", score: 3, url: "/products/p9" }], next_cursor: null, facets: { product: 1 } };
    fakeApi((r) => (r.path === "/api/v1/search" ? Response.json(page) : undefined));
    renderPalette();
    await openAndType("hex");
    const option = within(await screen.findByRole("group", { name: /Products/ })).getByRole("option");
    expect(option.textContent).toBe("Hex bolt M8");
    expect(within(option).getByText("Hex").tagName).toBe("MARK");
  });

  it("lists pages before anything is typed and filters them by name", async () => {
    fakeApi();
    renderPalette();
    await openAndType("know");
    const pages = screen.getByRole("group", { name: "Pages" });
    expect(within(pages).getAllByRole("option").map((o) => o.textContent)).toEqual([expect.stringContaining("Knowledge")]);
  });
});
