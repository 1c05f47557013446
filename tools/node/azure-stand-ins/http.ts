// The request and response shapes the stand-ins answer, so their rules are
// tested without a socket; serve() puts one behind a real server.
import type * as http from "http";

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
