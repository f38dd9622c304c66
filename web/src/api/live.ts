// Live updates: GraphQL subscriptions over one WebSocket per client (so per sign-in) at the
// same /graphql, in graphql-transport-ws (graphql-ws). The socket opens with the first
// subscription and closes after the last one ends.
//
// The token goes in `connection_init`. The gateway closes the socket with 4403 when that token
// expires (or refuses it): the socket then reconnects at once with the current token (refreshed
// first when it is about to expire, or when it is the one that was refused). Other closes are
// retried with a growing wait, for as long as a screen subscribes.
//
// A subscription delivers only what happens after the gateway registered it, so a screen asks
// for its data once more after each (re)connection (`useCatchUp`): nothing that happened while
// the socket was down, or before the subscription was in place, is missed.
import { useEffect, useRef, useSyncExternalStore } from "react";
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";
import { useClient, type Client, type CombinedError } from "urql";
import { getSession, refresh } from "../auth/session";
import { hasCode } from "./errors";

/** Refresh before connecting when the access token has less than this left. */
export const EXPIRY_MARGIN_MS = 15_000;
/** The gateway's close code for an expired or refused token. */
const FORBIDDEN = 4403;
/** The longest wait between two attempts to reconnect. */
const MAX_RETRY_WAIT_MS = 30_000;
/**
 * How long after a (re)connection a screen asks for its data again. The gateway registers a
 * subscription a moment after it reads it and does not acknowledge it; asking at once could
 * read the data before the subscription is listening, and an event between the two would be
 * lost.
 */
export const CATCH_UP_DELAY_MS = 500;

export type SocketState = "idle" | "connecting" | "live" | "reconnecting";

export interface LiveSocket {
  /** Starts a subscription (opening the socket if it is not open); returns its end. */
  subscribe: WsClient["subscribe"];
  state(): SocketState;
  /** Calls `listener` when the state changes; returns the unsubscribe. */
  watch(listener: () => void): () => void;
  /** Calls `listener` each time the socket is (re)connected; returns the unsubscribe. */
  onConnected(listener: () => void): () => void;
  /** Closes the socket and ends its subscriptions (a later subscription opens a new one). */
  dispose(): void;
}

/** The WebSocket URL of /graphql on this page's origin (wss: under https:). */
function socketUrl(): string {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/graphql`;
}

const sleep = (ms: number) => new Promise((resolve) => window.setTimeout(resolve, ms));

export function createLiveSocket(): LiveSocket {
  let state: SocketState = "idle";
  let lastClose: number | null = null;
  let sentToken: string | null = null;
  const watchers = new Set<() => void>();
  const connectedListeners = new Set<() => void>();
  const setState = (next: SocketState) => {
    if (next === state) return;
    state = next;
    watchers.forEach((watcher) => watcher());
  };

  const open = (): WsClient =>
    createWsClient({
      url: socketUrl,
      lazy: true,
      retryAttempts: Infinity,
      async connectionParams() {
        let session = getSession();
        const expiring = !!session && session.expiresAt - Date.now() < EXPIRY_MARGIN_MS;
        const refused = lastClose === FORBIDDEN && !!session && session.accessToken === sentToken;
        if (expiring || refused) session = await refresh();
        sentToken = session?.accessToken ?? null;
        return session ? { Authorization: `Bearer ${session.accessToken}` } : {};
      },
      async retryWait(retries) {
        // A socket closed for its token comes back at once; anything else waits longer each time.
        if (lastClose === FORBIDDEN && retries === 0) return;
        await sleep(Math.min(MAX_RETRY_WAIT_MS, 1_000 * 2 ** retries) + Math.random() * 1_000);
      },
      on: {
        connecting: (reconnecting) => setState(reconnecting ? "reconnecting" : "connecting"),
        connected: () => {
          lastClose = null;
          setState("live");
          connectedListeners.forEach((listener) => listener());
        },
        closed: (event) => {
          lastClose = (event as CloseEvent | undefined)?.code ?? null;
          // 1000 is the close after the last subscription ended; after any other close the
          // socket is opened again while a screen still subscribes.
          setState(lastClose === 1000 ? "idle" : "reconnecting");
        },
      },
    });
  let client: WsClient | null = null;

  return {
    subscribe: (payload, sink) => (client ??= open()).subscribe(payload, sink),
    state: () => state,
    watch(listener) {
      watchers.add(listener);
      return () => watchers.delete(listener);
    },
    onConnected(listener) {
      connectedListeners.add(listener);
      return () => connectedListeners.delete(listener);
    },
    dispose() {
      void client?.dispose();
      client = null;
      setState("idle");
    },
  };
}

/** Each urql client's socket (made with it in `createClient`). */
const sockets = new WeakMap<Client, LiveSocket>();

export function setLiveSocket(client: Client, socket: LiveSocket) {
  sockets.set(client, socket);
}

export function liveSocketOf(client: Client): LiveSocket | undefined {
  return sockets.get(client);
}

/** The state of the current client's socket, for a screen that shows whether it is live. */
export function useSocketState(): SocketState {
  const socket = liveSocketOf(useClient());
  return useSyncExternalStore(
    (listener) => socket?.watch(listener) ?? (() => {}),
    () => socket?.state() ?? "idle",
  );
}

/**
 * While `active`, calls `fetchAgain` (which should ask the network, not the cache) shortly after
 * each time the socket is (re)connected, and shortly after it starts if the socket was already
 * connected: a screen that holds a subscription so misses nothing that happened before it was
 * listening or while the socket was down.
 */
export function useCatchUp(fetchAgain: () => void, active: boolean) {
  const socket = liveSocketOf(useClient());
  const latest = useRef(fetchAgain);
  latest.current = fetchAgain;

  useEffect(() => {
    if (!active || !socket) return;
    let timer: number | undefined;
    const schedule = () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => latest.current(), CATCH_UP_DELAY_MS);
    };
    if (socket.state() === "live") schedule();
    const off = socket.onConnected(schedule);
    return () => {
      off();
      window.clearTimeout(timer);
    };
  }, [socket, active]);
}

/** Events that come within this long of the first one are answered by one fetch. */
const BURST_MS = 300;

/**
 * Calls `refetch` once per burst of events: `events` is a new value with each event (what
 * `useSubscription` accumulates), undefined before any.
 */
export function useRefetchOnEvents(events: unknown, refetch: () => void) {
  const latest = useRef(refetch);
  latest.current = refetch;
  const pending = useRef<number | undefined>(undefined);

  useEffect(() => {
    if (events === undefined || pending.current !== undefined) return;
    pending.current = window.setTimeout(() => {
      pending.current = undefined;
      latest.current();
    }, BURST_MS);
  }, [events]);
  useEffect(() => () => window.clearTimeout(pending.current), []);
}

/**
 * For a list that a subscription announces changes to: calls `refetch` (its first page from the
 * network) once per burst of changes (`useRefetchOnEvents`), and after each (re)connection
 * (`useCatchUp`).
 */
export function useRefetchOnChange(changes: unknown, refetch: () => void) {
  const latest = useRef(refetch);
  latest.current = refetch;
  useRefetchOnEvents(changes, refetch);
  useCatchUp(() => latest.current(), true);
}

/**
 * The gateway ends a subscription whose client fell too far behind its events
 * (SUBSCRIBER_LAGGED, "subscribe again"): open it again with `reopen` (the second value of
 * `useSubscription`) and, once it is in place, fetch what it missed with `fetchAgain`.
 */
export function useReopenWhenLagged(error: CombinedError | undefined, reopen: () => void, fetchAgain: () => void) {
  const latest = useRef({ reopen, fetchAgain });
  latest.current = { reopen, fetchAgain };

  useEffect(() => {
    if (!hasCode(error, "SUBSCRIBER_LAGGED")) return;
    latest.current.reopen();
    const timer = window.setTimeout(() => latest.current.fetchAgain(), CATCH_UP_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [error]);
}
