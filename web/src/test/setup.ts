import "@testing-library/jest-dom/vitest";
import "fake-indexeddb/auto";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

afterEach(() => cleanup());

// In the browser `new Request("/api/…")` resolves against the page; Node's Request (which
// jsdom tests use) has no page, so relative URLs resolve against jsdom's location here.
const NodeRequest = globalThis.Request;
globalThis.Request = class extends NodeRequest {
  constructor(input: RequestInfo | URL, init?: RequestInit) {
    super(typeof input === "string" && input.startsWith("/") ? new URL(input, globalThis.location.origin) : input, init);
  }
};
