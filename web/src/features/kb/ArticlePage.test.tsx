import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { beforeAll, describe, expect, it } from "vitest";
import type { Permission } from "@/api/client";
import { AuthContext } from "@/auth/context";
import type { Auth } from "@/auth/context";
import { fakeApi, problem } from "@/test/http";
import ArticlePage from "./ArticlePage";
import type { Article, ArticleStatus } from "./contract";

function article(status: ArticleStatus): Article {
  return {
    id: "a1",
    slug: "returns-policy",
    title: "Returns policy",
    status,
    visibility: "public",
    tags: [],
    collection_id: null,
    author_id: "u1",
    author_name: "Mia Manager",
    revision: 3,
    created_at: "2026-12-01T10:00:00Z",
    updated_at: "2026-12-01T10:00:00Z",
    published_at: status === "published" ? "2026-12-01T10:00:00Z" : null,
    body: "Returns within 14 days.",
    body_html: "<p>Returns within 14 days.</p>",
  };
}

function renderPage(permissions: Permission[]) {
  const auth = { status: "ready", can: (p: Permission) => permissions.includes(p), me: null } as unknown as Auth;
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <AuthContext.Provider value={auth}>
        <MemoryRouter initialEntries={["/kb/a1"]}>
          <Routes>
            <Route path="/kb/:articleId" element={<ArticlePage />} />
            <Route path="/kb" element={<p>Article list</p>} />
          </Routes>
        </MemoryRouter>
      </AuthContext.Provider>
    </QueryClientProvider>,
  );
}

function server(status: ArticleStatus, onDelete: () => Response = () => new Response(null, { status: 204 })) {
  return fakeApi((r) => {
    if (r.path === "/api/v1/articles/a1" && r.method === "GET") return Response.json(article(status));
    if (r.path === "/api/v1/articles/a1" && r.method === "DELETE") return onDelete();
    if (r.path === "/api/v1/collections") return Response.json({ items: [], next_cursor: null });
    return undefined;
  });
}

const WRITER: Permission[] = ["knowledge:read", "knowledge:write"];
const PUBLISHER: Permission[] = [...WRITER, "knowledge:publish"];

describe("deleting an article", () => {
  beforeAll(() => {
    HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
      this.setAttribute("open", "");
    };
    HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
      this.removeAttribute("open");
    };
  });

  it("asks first, then deletes the revision on screen and goes back to the list", async () => {
    const api = server("published");
    renderPage(PUBLISHER);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Delete" }));
    expect(await screen.findByText("Delete “Returns policy”?")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Keep" }));
    expect(api.requests.some((r) => r.method === "DELETE")).toBe(false);

    await user.click(screen.getByRole("button", { name: "Delete" }));
    await user.click(await screen.findByRole("button", { name: "Delete article" }));
    expect(await screen.findByText("Article list")).toBeInTheDocument();
    const deleted = api.requests.filter((r) => r.method === "DELETE");
    expect(deleted).toHaveLength(1);
    expect(deleted[0]!.headers.get("If-Match")).toBe('"3"');
  });

  it("stays on the article when someone saved a newer revision (412)", async () => {
    server("draft", () => problem(412, "The article changed since revision 3.", { current_revision: 4 }));
    renderPage(WRITER);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Delete" }));
    await user.click(await screen.findByRole("button", { name: "Delete article" }));
    expect(await screen.findByRole("heading", { name: "Returns policy" })).toBeInTheDocument();
    expect(screen.queryByText("Article list")).toBeNull();
  });

  it("is not offered to a writer without knowledge:publish for a published article", async () => {
    server("published");
    renderPage(WRITER);
    expect(await screen.findByRole("heading", { name: "Returns policy" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Delete" })).toBeNull();
  });

  it("is offered to a writer for a draft", async () => {
    server("draft");
    renderPage(WRITER);
    expect(await screen.findByRole("button", { name: "Delete" })).toBeInTheDocument();
  });

  it("is never offered to a reader", async () => {
    server("draft");
    renderPage(["knowledge:read"]);
    expect(await screen.findByRole("heading", { name: "Returns policy" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Delete" })).toBeNull();
  });
});
