import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the raw server answers: a status and a body sent as they are, or nothing yet (the request is held). */
export type RawAnswer = { readonly status: number; readonly body: string } | 'hold';

/** A request the raw server received, and a way to answer it later when it was held. */
export interface RawRequest {
  readonly method: string;
  readonly path: string;
  /** Answers a held request. */
  answer(status: number, body: string): void;
  /** Resolves when the client closed the connection of this request (aborted it, or exited). */
  readonly closed: Promise<void>;
}

/**
 * An HTTP server on 127.0.0.1 (port 0) that answers every request as `answer(method, path)` says, with any
 * body at all (a hundred thousand brackets, a megabyte of status word): not the task simulator, which only
 * ever sends sound JSON.
 */
export interface RawServer {
  readonly url: string;
  readonly requests: readonly RawRequest[];
  /** What to answer from now on. */
  answer: (method: string, path: string) => RawAnswer;
  /** Resolves with the first request (from now on) that `match` accepts. */
  next(match: (request: RawRequest) => boolean): Promise<RawRequest>;
  close(): Promise<void>;
}

export async function startRawServer(answer: (method: string, path: string) => RawAnswer): Promise<RawServer> {
  const requests: RawRequest[] = [];
  const waiting: Array<{ match: (request: RawRequest) => boolean; found: (request: RawRequest) => void }> = [];
  const send = (response: ServerResponse, status: number, body: string): void => {
    if (response.writableEnded || response.destroyed) return;
    response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    response.end(body);
  };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const closed = new Promise<void>((resolve) => response.on('close', () => resolve()));
    request.resume();
    request.on('end', () => {
      const seen: RawRequest = {
        method: request.method ?? 'GET',
        path: request.url ?? '/',
        answer: (status, body) => send(response, status, body),
        closed,
      };
      requests.push(seen);
      for (const waiter of waiting.splice(0)) {
        if (waiter.match(seen)) waiter.found(seen);
        else waiting.push(waiter);
      }
      const given = raw.answer(seen.method, seen.path);
      if (given !== 'hold') send(response, given.status, given.body);
    });
  });
  // Longer than any test's pause between requests: a connection the server closed while the client kept it
  // for the next request would fail that request with ECONNRESET.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const raw: RawServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    answer,
    next: (match) => new Promise((found) => waiting.push({ match, found })),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return raw;
}
