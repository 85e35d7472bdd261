// A `fetch` that signs each request before sending it, for services that want SigV4 (AWS Deadline Cloud).
// The signer is the AWS SDK's SignatureV4 (`@smithy/signature-v4`), or anything with the same `sign` shape.
import type { Fetch } from 'poll-task/http';

/** The request shape SignatureV4.sign takes, and the part of its answer used here. */
export interface SignableRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, string>;
  headers: Record<string, string>;
  body?: string;
}

/** What signs a request: `new SignatureV4({ service: 'deadline', region, credentials, sha256 })`. */
export interface RequestSigner {
  sign(request: SignableRequest): Promise<{ headers: Record<string, string> }>;
}

/** Wraps `send` (the platform's fetch by default) so that every request is signed by `signer` first. */
export function signedFetch(signer: RequestSigner, send: Fetch = (url, init) => fetch(url, init)): Fetch {
  return async (url, init) => {
    const target = new URL(url);
    const headers: Record<string, string> = { host: target.host };
    new Headers(init.headers).forEach((value, name) => (headers[name] = value));
    const signed = await signer.sign({
      method: init.method ?? 'GET',
      protocol: target.protocol,
      hostname: target.hostname,
      ...(target.port === '' ? {} : { port: Number(target.port) }),
      path: target.pathname,
      query: Object.fromEntries(target.searchParams),
      headers,
      ...(typeof init.body === 'string' ? { body: init.body } : {}),
    });
    return send(url, { ...init, headers: signed.headers });
  };
}
