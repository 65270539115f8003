import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BACKOFF_CAP_MS, LiveConnection, backoffDelay } from "./connection";
import type { LiveEvent, LiveOptions, LiveStatus } from "./connection";

/** A browser WebSocket stand-in: records what the client sends, lets the test speak. */
class FakeSocket {
  sent: Record<string, unknown>[] = [];
  closed: number | null = null;
  onopen: (() => void) | null = null;
  onmessage: ((message: { data: string }) => void) | null = null;
  onclose: ((close: { code: number }) => void) | null = null;
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {}
  send(data: string) {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(code = 1000) {
    this.closed = code;
  }
  open() {
    this.onopen?.();
  }
  say(message: object) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  drop(code = 1006) {
    this.onclose?.({ code });
  }
}

function event(offset: string, id: string, epoch = "e1"): LiveEvent {
  return { op: "event", channel: "inventory:updates", offset, epoch, event_id: id, type: "inventory.stock.moved", occurred_at: "", data: { n: id } };
}

describe("the live connection", () => {
  let sockets: FakeSocket[];
  let events: LiveEvent[];
  let resyncs: string[];
  let statuses: LiveStatus[];
  let tokens: boolean[];

  function connect(overrides: Partial<LiveOptions> = {}) {
    const connection = new LiveConnection({
      url: "ws://test/api/v1/ws",
      channels: ["inventory:updates", "stock:alerts"],
      token: async (fresh) => {
        tokens.push(fresh);
        return fresh ? "fresh-token" : "token";
      },
      onEvent: (e) => events.push(e),
      onResync: (channel) => resyncs.push(channel),
      onStatus: (s) => statuses.push(s),
      createSocket: (url, protocols) => {
        const socket = new FakeSocket(url, protocols);
        sockets.push(socket);
        return socket as unknown as WebSocket;
      },
      random: () => 0.5,
      isOnline: () => true,
      ...overrides,
    });
    connection.start();
    return connection;
  }

  async function opened(index: number): Promise<FakeSocket> {
    await vi.waitFor(() => expect(sockets.length).toBeGreaterThan(index));
    const socket = sockets[index]!;
    socket.open();
    return socket;
  }

  beforeEach(() => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    sockets = [];
    events = [];
    resyncs = [];
    statuses = [];
    tokens = [];
  });
  afterEach(() => vi.useRealTimers());

  it("authenticates with the bearer subprotocol and subscribes to its channels", async () => {
    const connection = connect();
    const socket = await opened(0);
    expect(socket.protocols).toEqual(["bearer", "token"]);
    expect(socket.sent[0]).toEqual({ op: "subscribe", channels: ["inventory:updates", "stock:alerts"] });
    socket.say({ op: "subscribed", channels: [], offset: "1-0", epoch: "e1" });
    expect(connection.currentStatus).toBe("live");
    connection.stop();
  });

  it("resumes after a drop from the last event it received, and drops repeats", async () => {
    const connection = connect();
    const first = await opened(0);
    first.say({ op: "subscribed", channels: [], offset: "1-0", epoch: "e1" });
    first.say(event("2-0", "a"));
    first.say(event("3-0", "b"));
    first.drop();
    expect(connection.currentStatus).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(backoffDelay(0, () => 0.5));
    const second = await opened(1);
    expect(second.sent[0]).toEqual({ op: "subscribe", channels: ["inventory:updates", "stock:alerts"], since: { offset: "3-0", epoch: "e1" } });
    second.say({ op: "subscribed", channels: [], offset: "3-0", epoch: "e1" });
    second.say(event("3-0", "b")); // at-least-once: the same event again
    second.say(event("4-0", "c"));
    expect(events.map((e) => e.event_id)).toEqual(["a", "b", "c"]);
    expect(connection.currentPosition).toEqual({ offset: "4-0", epoch: "e1" });
    connection.stop();
  });

  it("resumes from the subscription's start when no event came before the drop", async () => {
    const connection = connect();
    const first = await opened(0);
    first.say({ op: "subscribed", channels: [], offset: "7-0", epoch: "e1" });
    first.drop();
    await vi.advanceTimersByTimeAsync(BACKOFF_CAP_MS);
    const second = await opened(1);
    expect(second.sent[0]?.since).toEqual({ offset: "7-0", epoch: "e1" });
    connection.stop();
  });

  it("asks its owner to refetch when the server cannot replay the gap", async () => {
    const connection = connect();
    const socket = await opened(0);
    socket.say({ op: "resync_required", channel: "inventory:updates" });
    expect(resyncs).toEqual(["inventory:updates"]);
    expect(connection.currentPosition).toBeNull();
    connection.stop();
  });

  it("reconnects at once with a fresh token when the server says the token expired", async () => {
    const connection = connect();
    const first = await opened(0);
    first.say({ op: "subscribed", channels: [], offset: "1-0", epoch: "e1" });
    first.drop(4401);
    const second = await opened(1);
    expect(second.protocols).toEqual(["bearer", "fresh-token"]);
    expect(tokens).toEqual([false, true]);
    connection.stop();
  });

  it("backs off exponentially with jitter, up to a cap", () => {
    expect(backoffDelay(0, () => 0)).toBe(250);
    expect(backoffDelay(0, () => 1)).toBe(500);
    expect(backoffDelay(3, () => 0.5)).toBe(3000);
    expect(backoffDelay(20, () => 1)).toBe(BACKOFF_CAP_MS);
    const spread = new Set(Array.from({ length: 20 }, (_, i) => backoffDelay(4, () => i / 20)));
    expect(spread.size).toBeGreaterThan(10);
  });

  it("waits for the network instead of retrying while offline", async () => {
    let online = true;
    const connection = connect({ isOnline: () => online });
    const socket = await opened(0);
    online = false;
    socket.drop();
    expect(connection.currentStatus).toBe("offline");
    await vi.advanceTimersByTimeAsync(BACKOFF_CAP_MS * 2);
    expect(sockets).toHaveLength(1);
    online = true;
    window.dispatchEvent(new Event("online"));
    await opened(1);
    connection.stop();
  });

  it("answers heartbeats and closes a silent link", async () => {
    const connection = connect();
    const socket = await opened(0);
    socket.say({ op: "ping" });
    expect(socket.sent.at(-1)).toEqual({ op: "pong" });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(socket.closed).toBe(4000);
    connection.stop();
  });
});
