// Whether an IP address is one the server may call on a client's behalf (per-job webhooks,
// first-frame image URLs): a globally reachable unicast address, judged by IANA's IPv4 and IPv6
// special-purpose address registries (and the IPv6 address-space registry: only 2000::/3 is global
// unicast). ipaddr.js parses every spelling (and the IPv4 inside IPv4-embedding IPv6 prefixes);
// the range list itself is ours, as no library keeps the whole registry.
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];
const cidrs = (list: readonly string[]): Cidr[] => list.map((c) => ipaddr.parseCIDR(c));

/** IPv4 ranges that are not globally reachable unicast (IANA IPv4 special-purpose registry, plus multicast). */
const SPECIAL_V4 = cidrs([
  '0.0.0.0/8', // "this network"
  '10.0.0.0/8', // private
  '100.64.0.0/10', // shared address space (CGNAT)
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local (cloud metadata lives here)
  '172.16.0.0/12', // private
  '192.0.0.0/24', // IETF protocol assignments
  '192.0.2.0/24', // TEST-NET-1
  '192.88.99.0/24', // deprecated 6to4 relay anycast
  '192.168.0.0/16', // private
  '198.18.0.0/15', // benchmarking
  '198.51.100.0/24', // TEST-NET-2
  '203.0.113.0/24', // TEST-NET-3
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, 255.255.255.255 (limited broadcast) included
]);

/** Only this is global unicast in IPv6; everything outside (::/8, 100::/64, fc00::/7, fec0::/10, fe80::/10, ff00::/8, …) is refused. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/** Special ranges inside 2000::/3 (IANA IPv6 special-purpose registry). */
const SPECIAL_V6 = cidrs([
  '2001::/23', // IETF protocol assignments: Teredo 2001::/32 (embeds an obfuscated IPv4), benchmarking, ORCHID, AMT…
  '2001:db8::/32', // documentation
  '2002::/16', // 6to4 (embeds an IPv4 address; deprecated by RFC 7526)
  '3fff::/20', // documentation (RFC 9637)
]);

/** IPv4-mapped addresses (::ffff:a.b.c.d): the socket reaches the embedded IPv4 address. */
const MAPPED_V6 = ipaddr.parseCIDR('::ffff:0:0/96');
/** The well-known NAT64 prefix (globally reachable per IANA): a NAT64 gateway reaches the embedded IPv4 address. */
const NAT64_V6 = ipaddr.parseCIDR('64:ff9b::/96');

function embeddedV4(address: ipaddr.IPv6): ipaddr.IPv4 {
  const bytes = address.toByteArray();
  return new ipaddr.IPv4(bytes.slice(12));
}

function isPublicV4(address: ipaddr.IPv4): boolean {
  return !SPECIAL_V4.some((range) => address.match(range));
}

function isPublicV6(address: ipaddr.IPv6): boolean {
  if (address.match(MAPPED_V6) || address.match(NAT64_V6)) return isPublicV4(embeddedV4(address));
  // ::/96 (IPv4-compatible, ::7f00:1), ::ffff:0:0:0/96 (IPv4-translated), 64:ff9b:1::/48 (local NAT64)
  // and site-local fec0::/10 all lie outside 2000::/3.
  if (!address.match(GLOBAL_UNICAST_V6)) return false;
  return !SPECIAL_V6.some((range) => address.match(range));
}

/**
 * True for an IP literal (IPv6 with or without brackets; a zone id makes it link-scoped, so never)
 * outside every special-purpose range. Anything that is not an IP literal is false.
 */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  // isIP first: ipaddr.js also accepts legacy IPv4 spellings (0x7f.1) that a socket never sees here.
  const family = isIP(bare);
  if (family === 0 || bare.includes('%')) return false;
  const parsed = ipaddr.parse(bare);
  return parsed.kind() === 'ipv4' ? isPublicV4(parsed as ipaddr.IPv4) : isPublicV6(parsed as ipaddr.IPv6);
}
