import { describe, expect, it } from 'vitest';
import { failureClient } from '../../../../src/api/plugins/auth-failure-limit.js';

describe('failureClient', () => {
  it('counts IPv4 (also IPv4-mapped) as is, and IPv6 by its /64 whatever its spelling', () => {
    expect(failureClient('203.0.113.9')).toBe('203.0.113.9');
    expect(failureClient('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(failureClient('2001:db8:1:2::10')).toBe('2001:db8:1:2::/64');
    expect(failureClient('2001:0db8:0001:0002:ffff:0:0:1')).toBe('2001:db8:1:2::/64');
    expect(failureClient('2001:DB8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(failureClient('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(failureClient('::1')).toBe('0:0:0:0::/64');
    expect(failureClient('fe80::1:2:3:4')).toBe('fe80:0:0:0::/64');
    expect(failureClient('2001:db8:1:3::10')).not.toBe(failureClient('2001:db8:1:2::10'));
  });
});
