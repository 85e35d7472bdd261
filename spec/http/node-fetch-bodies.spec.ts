// httpTask over cross-fetch on Node (node-fetch 2), whose bodies are Node streams and whose headers are read
// from node-fetch's raw map: the size limit, compressed bodies, Retry-After, the request timeout and aborting a
// request in flight (with the light abort signal), against a plain HTTP server on 127.0.0.1.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import crossFetch from 'cross-fetch';
import { lastValueFrom } from 'rxjs';
import { DecodeError, TransportError } from '../../lib/index.js';
import { benchling, httpTask, type Fetch } from '../../lib/http/index.js';

const status = (padding = ''): string =>
  JSON.stringify({ id: 'task-1', status: 'RUNNING', message: `importing${padding}`, response: null, errors: [] });

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

describe('httpTask over cross-fetch (Node streams)', () => {
  let server: Server;
  let base: string;
  let handler: Handler;

  beforeAll(async () => {
    server = createServer((request, response) => handler(request, response));
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  });

  const read = (options: { maxBodyBytes?: number; requestTimeoutMs?: number } = {}) =>
    lastValueFrom(httpTask({ url: `${base}/api/v2/tasks/task-1`, dialect: benchling, fetch: crossFetch as Fetch, ...options }).read());

  it('reads a body of declared length whole', async () => {
    handler = (_, response) => {
      const body = status();
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    };
    const reading = await read();
    expect(reading).toMatchObject({ runStatus: 'running', vendorStatus: 'RUNNING', raw: { message: 'importing' } });
  });

  it('refuses a declared length over maxBodyBytes before reading it', async () => {
    handler = (_, response) => {
      const body = status('x'.repeat(5000));
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    };
    await expect(read({ maxBodyBytes: 2000 })).rejects.toThrow(/larger than maxBodyBytes \(\d+ bytes declared, limit 2000 bytes\)/);
  });

  it('counts a chunked body as it comes and stops at maxBodyBytes', async () => {
    handler = (_, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write(status('x'.repeat(1500)).slice(0, -2));
      response.write('x'.repeat(1500));
      response.end('"}');
    };
    const error = await read({ maxBodyBytes: 2000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as Error).message).toMatch(/more than 2000 bytes, limit 2000 bytes/);
  });

  it('counts a compressed body after decompression, whatever length it declares', async () => {
    // 60 KB of JSON that compresses to well under the limit: the declared (compressed) length says nothing.
    const zipped = gzipSync(status('x'.repeat(60_000)));
    expect(zipped.byteLength).toBeLessThan(2000);
    handler = (_, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': zipped.byteLength });
      response.end(zipped);
    };
    const error = await read({ maxBodyBytes: 2000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as Error).message).toMatch(/more than 2000 bytes/);
  });

  it('reads a compressed body within the limit', async () => {
    const zipped = gzipSync(status());
    handler = (_, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': zipped.byteLength });
      response.end(zipped);
    };
    expect(await read()).toMatchObject({ runStatus: 'running', raw: { message: 'importing' } });
  });

  it("reads the server's Retry-After and retry-after-ms, on readings and on errors alike", async () => {
    handler = (_, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'Retry-After': '7' });
      response.end(status());
    };
    expect((await read()).retryAfterMs).toBe(7000);
    handler = (_, response) => {
      response.writeHead(503, { 'Retry-After-Ms': '1500', 'Retry-After': '9' });
      response.end('busy');
    };
    const error = await read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).retryAfterMs).toBe(1500);
  });

  it('gives up on a slow answer after requestTimeoutMs, as a retryable TransportError', async () => {
    handler = () => undefined; // never answers
    const error = await read({ requestTimeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).retryable).toBe(true);
    expect((error as Error).message).toMatch(/did not answer within 100 ms \(requestTimeoutMs\)/);
  });

  it('aborts the request in flight when the subscriber leaves', async () => {
    let arrived!: (socket: { closed: Promise<void> }) => void;
    const requested = new Promise<{ closed: Promise<void> }>((done) => (arrived = done));
    // Never answers; tells when this request's connection closes.
    handler = (request) => arrived({ closed: new Promise<void>((done) => request.socket.once('close', () => done())) });
    const subscription = httpTask({ url: `${base}/api/v2/tasks/task-1`, dialect: benchling, fetch: crossFetch as Fetch }).read().subscribe();
    const socketClosed = await requested;
    subscription.unsubscribe();
    // node-fetch destroys the socket on abort (well before the 30 s request timeout).
    await socketClosed.closed;
  });
});
