// The request and response shapes the stand-ins answer, so their rules are
// tested without a socket; serve() puts one behind a real server.
import type * as http from "http";
import type * as net from "net";

export interface StandInRequest {
  readonly method: string;
  readonly url: URL;
  /** Header names in lower case. */
  readonly headers: Record<string, string | undefined>;
  readonly body: string;
}

export interface StandInResponse {
  readonly status: number;
  readonly headers?: Record<string, string>;
  /** Serialized as JSON unless it is a string. */
  readonly body?: unknown;
}

export type Handler = (request: StandInRequest) => StandInResponse;

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): StandInResponse => ({ status, body, headers });

/** A node:http(s) request listener for a handler, with a log line per request (never a header or body). */
export function listener(handler: Handler, log: (line: string) => void = () => undefined) {
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      // A path may start with "//" (a base URL ending in "/" joined to "/<tenant>/..."), which URL would read as a host.
      const url = new URL((req.url ?? "/").replace(/^\/+/, "/"), `https://${req.headers.host ?? "localhost"}`);
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(", ") : v]));
      let response: StandInResponse;
      try {
        response = handler({ method: req.method ?? "GET", url, headers, body });
      } catch (error) {
        response = json(500, { error: { code: "InternalError", message: (error as Error).message } });
      }
      log(`${req.method} ${url.host}${url.pathname} -> ${response.status}`);
      const text = typeof response.body === "string" ? response.body : response.body === undefined ? "" : JSON.stringify(response.body);
      res.writeHead(response.status, { "Content-Type": typeof response.body === "string" ? "text/plain" : "application/json; charset=utf-8", ...response.headers });
      res.end(text);
    });
  };
}

const openSockets = new WeakMap<net.Server, Set<net.Socket>>();

/** Tracks a server's connections from now on, so closeServer can end them. */
export function closable<T extends net.Server>(server: T): T {
  const open = new Set<net.Socket>();
  openSockets.set(server, open);
  server.on("connection", (socket: net.Socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
  });
  return server;
}

/**
 * Stops a server and ends its open connections, within `ms`: server.close() alone waits for every
 * client, and a connection to or from a pod whose network namespace is gone never ends by itself.
 */
export function closeServer(server: net.Server, what: string, ms = 10_000): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not close within ${ms / 1000} s (${openSockets.get(server)?.size ?? "untracked"} connections open)`)), ms);
    server.close(() => (clearTimeout(timer), resolve()));
    for (const socket of openSockets.get(server) ?? []) socket.destroy();
    (server as Partial<http.Server>).closeAllConnections?.();
  });
}
