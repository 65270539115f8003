import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { beforeAll, describe, expect, it } from "vitest";
import { AuthContext } from "@/auth/context";
import type { Auth } from "@/auth/context";
import { fakeApi, problem } from "@/test/http";
import ArticleEditorPage from "./ArticleEditorPage";
import type { Article } from "./contract";

function article(revision: number, overrides: Partial<Article> = {}): Article {
  return {
    id: "a1",
    slug: "returns-policy",
    title: "Returns policy",
    status: "draft",
    visibility: "public",
    tags: ["returns"],
    collection_id: null,
    author_id: "u1",
    author_name: "Mia Manager",
    revision,
    created_at: "2026-12-01T10:00:00Z",
    updated_at: "2026-12-01T10:00:00Z",
    published_at: null,
    body: "Returns within 14 days.",
    body_html: "<p>Returns within 14 days.</p>",
    ...overrides,
  };
}

const auth = { status: "ready", can: () => true, me: null } as unknown as Auth;

function renderEditor() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <AuthContext.Provider value={auth}>
        <MemoryRouter initialEntries={["/kb/a1/edit"]}>
          <Routes>
            <Route path="/kb/:articleId/edit" element={<ArticleEditorPage />} />
            <Route path="/kb/:articleId" element={<p>Article page</p>} />
          </Routes>
        </MemoryRouter>
      </AuthContext.Provider>
    </QueryClientProvider>,
  );
}

describe("the article editor", () => {
  beforeAll(() => {
    HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
      this.setAttribute("open", "");
    };
  });

  function server(onPatch: (body: unknown, ifMatch: string | null) => Response) {
    let current = article(3);
    return fakeApi((r) => {
      if (r.path === "/api/v1/articles/a1" && r.method === "GET") return Response.json(current);
      if (r.path === "/api/v1/collections") return Response.json({ items: [], next_cursor: null });
      if (r.path === "/api/v1/articles/preview") return Response.json({ body_html: "<p>preview</p>" });
      if (r.path === "/api/v1/articles/a1/diff") return Response.json({ from: 3, to: 5, title_changed: false, lines: [{ op: "delete", old_number: 1, new_number: null, text: "Returns within 14 days." }, { op: "insert", old_number: null, new_number: 1, text: "Returns within 30 days." }] });
      if (r.path === "/api/v1/articles/a1" && r.method === "PATCH") {
        const response = onPatch(r.body, r.headers.get("If-Match"));
        if (response.ok) current = article(4, r.body as Partial<Article>);
        else current = article(5, { body: "Returns within 30 days." });
        return response;
      }
      return undefined;
    });
  }

  it("saves only what changed, based on the revision it opened", async () => {
    const api = server((body) => Response.json(article(4, body as Partial<Article>)));
    renderEditor();
    const user = userEvent.setup();
    const title = await screen.findByLabelText("Title");
    await user.clear(title);
    await user.type(title, "Returns and refunds");
    await user.type(screen.getByLabelText("Change note"), "Clearer title");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("Article page")).toBeInTheDocument();
    const patch = api.requests.find((r) => r.method === "PATCH")!;
    expect(patch.headers.get("If-Match")).toBe('"3"');
    expect(patch.body).toEqual({ title: "Returns and refunds", note: "Clearer title" });
  });

  it("explains a 412 with the current revision, keeps the edits, and compares or reloads", async () => {
    server(() => problem(412, "The article changed since revision 3.", { current_revision: 5 }));
    renderEditor();
    const user = userEvent.setup();
    const title = await screen.findByLabelText("Title");
    await user.clear(title);
    await user.type(title, "Returns and refunds");
    await user.click(screen.getByRole("button", { name: "Publish" }));

    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Not saved: changed by someone else (now revision 5)");
    expect(alert).toHaveTextContent("You opened revision 3");
    expect(screen.getByLabelText("Title")).toHaveValue("Returns and refunds");

    await user.click(screen.getByRole("button", { name: "Compare" }));
    expect(await screen.findByText("Revision 3 → 5")).toBeInTheDocument();
    expect(await screen.findByText("Returns within 30 days.")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Close" }));

    await user.click(screen.getByRole("button", { name: "Reload" }));
    // Their text arrives in the fields left alone; the edited title keeps what was typed.
    await waitFor(() => expect(screen.getByLabelText("Text (Markdown)")).toHaveValue("Returns within 30 days."));
    expect(screen.getByLabelText("Title")).toHaveValue("Returns and refunds");
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
