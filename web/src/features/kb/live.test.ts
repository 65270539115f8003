import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import type { Article } from "./contract";
import { kbKeys } from "./keys";
import { articleChanged, articleDeleted } from "./live";

function cached(client: QueryClient, revision: number) {
  const article = { id: "a1", revision, title: "Returns" } as Article;
  client.setQueryData(kbKeys.detail("a1"), article);
  client.setQueryData(kbKeys.revisions("a1"), { items: [], next_cursor: null });
  client.setQueryData(kbKeys.revision("a1", 1), { number: 1 });
}

const event = (revision: number) => ({ id: "a1", status: "published", visibility: "public", revision });

describe("knowledge live events", () => {
  it("refetch an open article and its history only when the event is newer", () => {
    const client = new QueryClient();
    cached(client, 3);
    articleChanged(client, event(3));
    expect(client.getQueryState(kbKeys.detail("a1"))?.isInvalidated).toBe(false);
    articleChanged(client, event(4));
    expect(client.getQueryState(kbKeys.detail("a1"))?.isInvalidated).toBe(true);
    expect(client.getQueryState(kbKeys.revisions("a1"))?.isInvalidated).toBe(true);
    // A revision itself never changes.
    expect(client.getQueryState(kbKeys.revision("a1", 1))?.isInvalidated).toBe(false);
  });

  it("drop a deleted article from the cache", () => {
    const client = new QueryClient();
    cached(client, 3);
    articleDeleted(client, "a1");
    expect(client.getQueryData(kbKeys.detail("a1"))).toBeUndefined();
  });
});
