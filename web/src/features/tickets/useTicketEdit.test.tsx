import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, renderHook } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { TicketDetail } from "./api";
import { ticketKeys } from "./keys";
import { useTicketEdit } from "./useTicketEdit";

const TICKET = { id: "t1", version: 3 } as TicketDetail;

function setup(status: number, body: unknown) {
  const sent: Request[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (request: Request) => {
      sent.push(request);
      return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
    }),
  );
  const client = new QueryClient();
  const wrapper = ({ children }: { children: ReactNode }) => <QueryClientProvider client={client}>{children}</QueryClientProvider>;
  const hook = renderHook(() => useTicketEdit(TICKET), { wrapper });
  return { hook, client, sent };
}

afterEach(() => vi.unstubAllGlobals());

describe("editing a ticket", () => {
  it("sends the version it shows as If-Match and caches the saved ticket", async () => {
    const { hook, client, sent } = setup(200, { ...TICKET, version: 4, priority: "urgent" });
    let ok = false;
    await act(async () => {
      ok = await hook.result.current.save({ priority: "urgent" });
    });
    expect(ok).toBe(true);
    expect(sent[0]!.headers.get("If-Match")).toBe('"3"');
    expect(client.getQueryData<TicketDetail>(ticketKeys.detail("t1"))?.version).toBe(4);
    expect(hook.result.current.conflict).toBe(false);
  });

  it("says 'changed by someone else' on a 412 until reloaded", async () => {
    const { hook } = setup(412, { type: "x", title: "Precondition Failed", status: 412, detail: "The ticket has changed since you read it." });
    let ok = true;
    await act(async () => {
      ok = await hook.result.current.save({ priority: "low" });
    });
    expect(ok).toBe(false);
    expect(hook.result.current.conflict).toBe(true);
    await act(async () => {
      await hook.result.current.reload();
    });
    expect(hook.result.current.conflict).toBe(false);
  });
});
