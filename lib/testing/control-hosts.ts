import { isIPv4, isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';

// Who may reach the simulator's control API, by the Host header of the request (DNS rebinding: a page on
// evil.example whose name then resolves to 127.0.0.1 talks to the simulator as its own origin, but its
// requests still carry `Host: evil.example:<port>`). A browser sets Host from the URL and no page can change it.

/**
 * The host of a Host header value, `name`, `name:port`, `[v6]` or `[v6]:port`: lower case, an IPv6 address
 * without brackets and in its short form. Undefined when it is none of these (a trailing dot, user info, an
 * empty label, a bad port).
 */
export function hostOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9_-]+(?:\.[a-z0-9_-]+)*))(?::(\d{1,5}))?$/i.exec(header);
  if (match === null || (match[3] !== undefined && Number(match[3]) > 65535)) return undefined;
  if (match[1] !== undefined) {
    if (!isIPv6(match[1])) return undefined;
    // The WHATWG parser writes an IPv6 address the one way browsers send it (::ffff:127.0.0.1 as ::ffff:7f00:1).
    return new URL(`http://[${match[1]}]/`).hostname.slice(1, -1);
  }
  return match[2]!.toLowerCase();
}

/** Whether `host` (from {@link hostOf}) names this machine's loopback: localhost, *.localhost, 127.0.0.0/8 or ::1. */
export function isLoopbackHost(host: string): boolean {
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    (isIPv4(host) && host.startsWith('127.')) ||
    host === '::1' ||
    /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(host)
  );
}

/** Whether `host` is the unspecified address a server listens on to take every interface. */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

/** Whether `host` is an address of one of this machine's network interfaces (read now: they change). */
export function isInterfaceAddress(host: string): boolean {
  if (!isIPv4(host) && !isIPv6(host)) return false;
  return Object.values(networkInterfaces()).some((addresses) => addresses?.some((entry) => hostOf(entry.family === 'IPv6' ? `[${entry.address.replace(/%.*$/, '')}]` : entry.address) === host));
}

/** A host name or address as {@link hostOf} writes it (`sim`, `10.0.0.5`, `fe80::1` or `[fe80::1]`), without a port; undefined when it is not one. */
export function hostNameOf(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  if (isIPv6(name)) return hostOf(`[${name}]`);
  const host = hostOf(name);
  return host === undefined || /:\d+$/.test(name) ? undefined : host;
}
