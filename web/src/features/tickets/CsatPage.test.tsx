import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import CsatPage from "./CsatPage";

const SURVEY = { ticket_key: "QM-1042", subject: "Drill does not charge", status: "resolved", answered: false, score: null, conversation: [] };

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json" } });
}

/** The rating link's server, outside the page: GET the survey, POST the answer. */
function server(view: unknown, viewStatus = 200, answerStatus = 200) {
  const posted: unknown[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL) => {
    const request = input as Request;
    if (request.method === "POST") {
      posted.push(await request.json());
      return answerStatus === 200
        ? json({ ...SURVEY, answered: true, score: 4 })
        : json({ type: "x", title: "Conflict", status: 409, detail: "This rating link has already been used; each link can be answered once." }, 409);
    }
    return json(view, viewStatus);
  });
  vi.stubGlobal("fetch", fetchMock);
  return { fetchMock, posted };
}

function renderPage(token = "tok-123") {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={[`/csat/${token}`]}>
        <Routes>
          <Route path="/csat/:token" element={<CsatPage />} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(() => vi.unstubAllGlobals());

describe("the public rating page", () => {
  it("shows the ticket, takes a rating and a comment once, then thanks", async () => {
    const user = userEvent.setup();
    const { posted, fetchMock } = server(SURVEY);
    renderPage();
    expect(await screen.findByText("QM-1042: Drill does not charge")).toBeInTheDocument();
    const send = screen.getByRole("button", { name: "Send rating" });
    expect(send).toBeDisabled();
    await user.click(screen.getByRole("radio", { name: "4 — Good" }));
    await user.type(screen.getByLabelText("Anything to add? (optional)"), "Quick swap, thanks");
    await user.click(send);
    expect(await screen.findByText("Thank you!")).toBeInTheDocument();
    expect(posted).toEqual([{ score: 4, comment: "Quick swap, thanks" }]);
    expect((fetchMock.mock.calls[0]![0] as Request).url).toContain("/api/v1/csat/tok-123");
  });

  it("explains a link that was used already", async () => {
    server({ ...SURVEY, answered: true, score: 5 });
    renderPage();
    expect(await screen.findByText("This link has been used")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Send rating" })).not.toBeInTheDocument();
  });

  it("explains a link used in another tab meanwhile (409 on sending)", async () => {
    const user = userEvent.setup();
    server(SURVEY, 200, 409);
    renderPage();
    await user.click(await screen.findByRole("radio", { name: "2 — Poor" }));
    await user.click(screen.getByRole("button", { name: "Send rating" }));
    expect(await screen.findByText("This link has been used")).toBeInTheDocument();
    expect(screen.getByText(/already been used/)).toBeInTheDocument();
  });

  it("explains an unknown link", async () => {
    server({ type: "x", title: "Not Found", status: 404, detail: "This rating link is not valid." }, 404);
    renderPage("mistyped");
    expect(await screen.findByText("This link does not work")).toBeInTheDocument();
  });
});
