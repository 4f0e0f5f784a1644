import { describe, expect, it } from 'vitest';
import { isPublicAddress, nonPublicReason } from '../../../src/http/public-address.js';

describe('isPublicAddress', () => {
  it('accepts public addresses and refuses special-purpose ranges', () => {
    for (const ip of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111']) expect(isPublicAddress(ip), ip).toBe(true);
    for (const ip of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
      '::1', '::', 'fe80::1', 'fc00::1', 'fd12::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'not-an-ip']) {
      expect(isPublicAddress(ip), ip).toBe(false);
    }
  });

  it('judges URLs by host, loopback names included', async () => {
    expect(await nonPublicReason('http://localhost:8080/x')).toMatch(/loopback/);
    expect(await nonPublicReason('http://[::1]/x')).toMatch(/not a public address/);
    expect(await nonPublicReason('https://8.8.8.8/hook')).toBeNull();
  });
});
