import { describe, expect, it } from 'vitest';
import { isPublicAddress } from '../../../src/http/public-address.js';
import { publicUrlProblem } from '../../../src/http/outbound-http.js';

describe('isPublicAddress', () => {
  it('accepts globally reachable unicast addresses', () => {
    for (const ip of [
      '8.8.8.8',
      '1.1.1.1',
      '100.128.0.1',
      '172.32.0.1',
      '192.0.1.1',
      '198.20.0.1',
      '223.255.255.254',
      '2606:4700:4700::1111',
      '2a00:1450:4001:80b::200e',
      '[2606:4700:4700::1111]',
      // IPv4-mapped and well-known NAT64 addresses reach the IPv4 address they embed.
      '::ffff:8.8.8.8',
      '::ffff:808:808',
      '64:ff9b::808:808',
      '64:ff9b::8.8.8.8',
    ])
      expect(isPublicAddress(ip), ip).toBe(true);
  });

  it('refuses every IPv4 special-purpose range, at both ends', () => {
    for (const ip of [
      '0.0.0.0',
      '0.255.255.255',
      '10.0.0.0',
      '10.255.255.255',
      '100.64.0.0',
      '100.127.255.255',
      '127.0.0.1',
      '127.255.255.254',
      '169.254.169.254',
      '172.16.0.0',
      '172.31.255.255',
      '192.0.0.0',
      '192.0.0.255',
      '192.0.2.1',
      '192.88.99.1',
      '192.168.0.1',
      '192.168.255.255',
      '198.18.0.0',
      '198.19.255.255',
      '198.51.100.7',
      '203.0.113.9',
      '224.0.0.1',
      '239.255.255.255',
      '240.0.0.1',
      '255.255.255.255',
    ])
      expect(isPublicAddress(ip), ip).toBe(false);
  });

  it('refuses the IPv6 special-purpose ranges and everything outside 2000::/3', () => {
    for (const ip of [
      '::',
      '::1',
      'fc00::1',
      'fd12:3456::1',
      'fe80::1',
      'febf::1',
      'fec0::1',
      'feff::1',
      'ff02::1',
      'ff0e::1',
      '2001:db8::1',
      '2001:db8:ffff::1',
      '100::1',
      '100::ffff:ffff:ffff:ffff',
      '2001:2::1',
      '2001:10::1',
      '2001:20::1',
      '3fff::1',
      '3fff:fff::1',
      '4000::1',
      '1fff:ffff::1',
      'fe80::1%eth0',
      '[::1]',
    ])
      expect(isPublicAddress(ip), ip).toBe(false);
  });

  it('refuses IPv6 spellings that embed a special IPv4 address', () => {
    for (const ip of [
      '::7f00:1',
      '::127.0.0.1',
      '::a00:1', // IPv4-compatible (deprecated)
      '::ffff:0:7f00:1',
      '::ffff:0:127.0.0.1',
      '::ffff:0:808:808', // IPv4-translated
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:10.0.0.1',
      '::ffff:a9fe:a9fe',
      '::ffff:0.0.0.0', // IPv4-mapped
      '64:ff9b::7f00:1',
      '64:ff9b::127.0.0.1',
      '64:ff9b::a9fe:a9fe',
      '64:ff9b::c0a8:1', // well-known NAT64 to inner IPv4
      '64:ff9b:1::7f00:1',
      '64:ff9b:1::808:808',
      '64:ff9b:1:ffff::1', // local-use NAT64 (not global)
      '2002:7f00:1::',
      '2002:808:808::1',
      '2002:a9fe:a9fe::', // 6to4
      '2001::1',
      '2001:0:4136:e378:8000:63bf:3fff:fdd2', // Teredo
    ])
      expect(isPublicAddress(ip), ip).toBe(false);
  });

  it('refuses what is not an IP address, including legacy IPv4 spellings', () => {
    for (const value of [
      'not-an-ip',
      'example.com',
      '',
      '0x7f000001',
      '0177.0.0.1',
      '127.1',
      '2130706433',
      '::ffff:127.0.0.1.5',
    ]) {
      expect(isPublicAddress(value), value).toBe(false);
    }
  });
});

describe('publicUrlProblem', () => {
  const resolveTo =
    (...addresses: string[]) =>
    async () =>
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it('judges IP-literal hosts without resolving, in the forms the URL parser leaves', async () => {
    const never = async () => {
      throw new Error('must not resolve');
    };
    expect(await publicUrlProblem('https://8.8.8.8/hook', never)).toBeNull();
    for (const url of [
      'http://127.1/',
      'http://0x7f.0.0.1/',
      'http://[::1]/x',
      'http://[::ffff:127.0.0.1]/',
      'http://[::7f00:1]/',
      'http://[64:ff9b:1::a00:1]/',
      'http://2130706433/',
    ]) {
      expect((await publicUrlProblem(url, never))?.failure, url).toBe('refused');
    }
  });

  it('refuses a name when any of its addresses is not public, and says so only as "refused"', async () => {
    expect(await publicUrlProblem('https://hooks.example/x', resolveTo('8.8.8.8', '2606:4700::1'))).toBeNull();
    const problem = await publicUrlProblem('https://hooks.example/x', resolveTo('8.8.8.8', '10.0.0.5'));
    expect(problem?.failure).toBe('refused');
    expect(problem?.detail).toContain('10.0.0.5');
    expect((await publicUrlProblem('http://localhost:8080/x', resolveTo('127.0.0.1')))?.failure).toBe('refused');
  });

  it('calls a name that does not resolve unreachable, and refuses what is not http(s)', async () => {
    const nx = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    expect((await publicUrlProblem('https://nowhere.example/', nx))?.failure).toBe('unreachable');
    expect((await publicUrlProblem('https://empty.example/', resolveTo()))?.failure).toBe('unreachable');
    expect((await publicUrlProblem('file:///etc/passwd', nx))?.failure).toBe('refused');
    expect((await publicUrlProblem('not a url', nx))?.failure).toBe('refused');
  });
});
