/**
 * One WebSocket per tab to /api/v1/ws, with resume.
 *
 * - Authenticates with the subprotocols `bearer, <access token>` (browsers cannot set headers).
 * - Keeps the stream position (offset + epoch) of the last event, or of the `subscribed`
 *   reply before any event, and resubscribes with it as `since` after a reconnect: the server
 *   replays what was missed, in order. Repeats (at-least-once delivery) are dropped by
 *   event id. `resync_required` means the gap cannot be replayed: the owner refetches.
 * - Reconnects with exponential backoff and jitter; a 4401 close (the access token expired)
 *   reconnects at once with a fresh token; going offline waits for the `online` event.
 */

export type LiveStatus = "connecting" | "live" | "reconnecting" | "offline" | "stopped";

export interface LiveEvent {
  op: "event";
  channel: string;
  offset: string;
  epoch: string;
  event_id: string;
  type: string;
  occurred_at: string;
  data: unknown;
}

export interface Position {
  offset: string;
  epoch: string;
}

type ServerMessage =
  | LiveEvent
  | { op: "subscribed"; channels: string[]; offset: string; epoch: string }
  | { op: "resync_required"; channel: string }
  | { op: "ping" }
  | { op: "pong" }
  | { op: "unsubscribed"; channels: string[] }
  | { op: "error"; detail: string };

export interface LiveOptions {
  url: string;
  channels: string[];
  /** A current access token; `fresh` asks for a refreshed one (after a 4401 close). */
  token: (fresh: boolean) => Promise<string | null>;
  onEvent: (event: LiveEvent) => void;
  onResync: (channel: string) => void;
  onStatus?: (status: LiveStatus) => void;
  /** Test seams; the browser's by default. */
  createSocket?: (url: string, protocols: string[]) => WebSocket;
  random?: () => number;
  isOnline?: () => boolean;
}

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 30_000;
/** No message (events or the server's 20 s heartbeats) for this long: the link is dead. */
export const SILENCE_LIMIT_MS = 50_000;
const SEEN_IDS = 1000;
const CLOSE_UNAUTHORIZED = 4401;

/** Delay before reconnect attempt `attempt` (0-based): exponential, capped, with jitter in
 * [half, full] of the step so a server restart is not met by every tab at once. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const step = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
  return Math.round(step / 2 + (random() * step) / 2);
}

export class LiveConnection {
  private socket: WebSocket | null = null;
  private position: Position | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private silenceTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = true;
  private freshToken = false;
  private readonly seen: string[] = [];
  private readonly seenSet = new Set<string>();
  private status: LiveStatus = "stopped";

  constructor(private readonly options: LiveOptions) {}

  get currentStatus(): LiveStatus {
    return this.status;
  }

  get currentPosition(): Position | null {
    return this.position;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener("online", this.handleOnline);
    window.addEventListener("offline", this.handleOffline);
    void this.open();
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener("online", this.handleOnline);
    window.removeEventListener("offline", this.handleOffline);
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, "bye");
    this.setStatus("stopped");
  }

  private readonly handleOnline = () => {
    if (this.stopped) return;
    this.attempt = 0;
    if (!this.socket) {
      this.clearTimers();
      void this.open();
    }
  };

  private readonly handleOffline = () => {
    if (this.stopped) return;
    this.setStatus("offline");
    this.socket?.close(4000, "offline");
  };

  private online(): boolean {
    return this.options.isOnline ? this.options.isOnline() : navigator.onLine;
  }

  private setStatus(status: LiveStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.options.onStatus?.(status);
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    if (!this.online()) {
      this.setStatus("offline");
      return;
    }
    this.setStatus(this.attempt === 0 && this.position === null ? "connecting" : "reconnecting");
    let token: string | null;
    try {
      token = await this.options.token(this.freshToken);
    } catch {
      token = null;
    }
    this.freshToken = false;
    if (this.stopped) return;
    if (!token) {
      this.scheduleReconnect();
      return;
    }
    const create = this.options.createSocket ?? ((url, protocols) => new WebSocket(url, protocols));
    const socket = create(this.options.url, ["bearer", token]);
    this.socket = socket;
    socket.onopen = () => this.subscribe(socket);
    socket.onmessage = (message) => this.receive(socket, message);
    socket.onclose = (close) => this.closed(socket, close.code);
  }

  private subscribe(socket: WebSocket): void {
    const request: Record<string, unknown> = { op: "subscribe", channels: this.options.channels };
    if (this.position) request.since = this.position;
    socket.send(JSON.stringify(request));
    this.armSilenceTimer(socket);
  }

  private receive(socket: WebSocket, message: MessageEvent): void {
    if (socket !== this.socket) return;
    this.armSilenceTimer(socket);
    let parsed: ServerMessage;
    try {
      parsed = JSON.parse(String(message.data)) as ServerMessage;
    } catch {
      return;
    }
    switch (parsed.op) {
      case "subscribed":
        this.attempt = 0;
        // Before any event, resume from where the subscription started; never move back.
        if (!this.position || this.position.epoch !== parsed.epoch) {
          this.position = { offset: parsed.offset, epoch: parsed.epoch };
        }
        this.setStatus("live");
        break;
      case "event":
        this.position = { offset: parsed.offset, epoch: parsed.epoch };
        if (this.remember(parsed.event_id)) this.options.onEvent(parsed);
        break;
      case "resync_required":
        this.position = null;
        this.options.onResync(parsed.channel);
        break;
      case "ping":
        socket.send(JSON.stringify({ op: "pong" }));
        break;
      default:
        break;
    }
  }

  /** True the first time an event id is seen. */
  private remember(id: string): boolean {
    if (this.seenSet.has(id)) return false;
    this.seenSet.add(id);
    this.seen.push(id);
    if (this.seen.length > SEEN_IDS) this.seenSet.delete(this.seen.shift() as string);
    return true;
  }

  private closed(socket: WebSocket, code: number): void {
    if (socket !== this.socket) return;
    this.socket = null;
    this.clearSilenceTimer();
    if (this.stopped) return;
    if (!this.online()) {
      this.setStatus("offline");
      return;
    }
    if (code === CLOSE_UNAUTHORIZED) {
      this.freshToken = true;
      if (this.attempt === 0) {
        this.attempt = 1; // a second 4401 in a row backs off
        void this.open();
        return;
      }
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.setStatus("reconnecting");
    const delay = backoffDelay(this.attempt, this.options.random);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.open();
    }, delay);
  }

  private armSilenceTimer(socket: WebSocket): void {
    this.clearSilenceTimer();
    this.silenceTimer = setTimeout(() => socket.close(4000, "silent"), SILENCE_LIMIT_MS);
  }

  private clearSilenceTimer(): void {
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.silenceTimer = null;
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.clearSilenceTimer();
  }
}
