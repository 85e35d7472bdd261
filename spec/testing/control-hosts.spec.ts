import fc from 'fast-check';
import { hostNameOf, hostOf, isInterfaceAddress, isLoopbackHost, isWildcardHost } from '../../lib/testing/control-hosts.js';

describe('hostOf', () => {
  it.each([
    ['localhost', 'localhost'],
    ['LocalHost:8080', 'localhost'],
    ['app.localhost:1', 'app.localhost'],
    ['127.0.0.1:41234', '127.0.0.1'],
    ['[::1]:80', '::1'],
    ['[0:0:0:0:0:0:0:1]', '::1'],
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
    ['sim_1', 'sim_1'],
  ])('reads %j as %j', (header, host) => {
    expect(hostOf(header)).toBe(host);
  });

  it.each([undefined, '', ' ', 'localhost.', '.localhost', 'a..b', 'evil@127.0.0.1', '127.0.0.1:65536', '127.0.0.1:', '::1', '[::1', '[::g]', '[127.0.0.1]', 'a:1:2', 'a b', 'a/b'])(
    'reads no host from %j',
    (header) => {
      expect(hostOf(header)).toBeUndefined();
    },
  );

  it('never throws, and reads a host only in lower case, without brackets or port', () => {
    const headers = fc.oneof(fc.string({ unit: 'binary' }), fc.domain().chain((name) => fc.mixedCase(fc.constant(name))), fc.ipV6().map((ip) => `[${ip.toUpperCase()}]:1`));
    fc.assert(
      fc.property(headers, (header) => {
        const host = hostOf(header);
        return host === undefined || (host === host.toLowerCase() && !/[[\]]/.test(host) && !/:\d+$/.test(host.replace(/^.*:.*:.*$/, '')));
      }),
    );
  });
});

describe('isLoopbackHost', () => {
  it('takes localhost, *.localhost, 127.0.0.0/8, ::1 and ::ffff:127.x', () => {
    fc.assert(fc.property(fc.ipV4(), (ip) => isLoopbackHost(`127.${ip.split('.').slice(1).join('.')}`)));
    for (const host of ['localhost', 'a.localhost', '::1', '::ffff:7f00:1', '::ffff:7fff:ffff']) expect(isLoopbackHost(host)).toBe(true);
  });

  it('refuses every other address and name', () => {
    fc.assert(fc.property(fc.ipV4().filter((ip) => !ip.startsWith('127.')), (ip) => !isLoopbackHost(ip)));
    for (const host of ['localhost.evil.test', 'notlocalhost', '0.0.0.0', '::', '::2', '::ffff:a00:1', '128.0.0.1']) expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('the address the server listens on', () => {
  it('knows the wildcard addresses', () => {
    expect([isWildcardHost('0.0.0.0'), isWildcardHost('::'), isWildcardHost('127.0.0.1')]).toEqual([true, true, false]);
  });

  it('finds this machine\'s own addresses (loopback is one), and no name nor foreign address', () => {
    expect(isInterfaceAddress('127.0.0.1')).toBe(true);
    expect(isInterfaceAddress('192.0.2.1')).toBe(false); // TEST-NET-1: never assigned
    expect(isInterfaceAddress('localhost')).toBe(false);
  });
});

describe('hostNameOf', () => {
  it.each([
    ['sim', 'sim'],
    ['SIM', 'sim'],
    ['fe80::1', 'fe80::1'],
    ['[FE80::1]', 'fe80::1'],
    ['10.0.0.5', '10.0.0.5'],
  ])('takes %j as %j', (name, host) => {
    expect(hostNameOf(name)).toBe(host);
  });

  it.each(['sim:80', '[::1]:80', '', 'a.', 5, null])('takes no %j', (name) => {
    expect(hostNameOf(name)).toBeUndefined();
  });
});
