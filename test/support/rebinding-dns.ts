// A DNS-rebinding attacker inside the test process, and a guard that no packet leaves the machine.
//
// - `answer(name, pick)` makes the process's resolver (dns.lookup and dns.promises.lookup, the
//   functions getaddrinfo answers through; ESM named imports are re-synced) answer `name` with
//   pick(n) on its n-th lookup (0-based): a public address first, 127.0.0.1 next.
// - Every socket the process opens through net.connect or tls.connect (undici's, Node's fetch's)
//   is routed in-process: a public address the test stands in for goes to that stand-in's loopback
//   address (same port), loopback stays loopback, and anything else goes to 127.255.255.254, where
//   nothing listens. The "public" answers are so never contacted.
import dns, { type LookupAddress, type LookupOptions } from 'node:dns';
import net, { isIP } from 'node:net';
import tls from 'node:tls';
import { syncBuiltinESMExports } from 'node:module';

/** A public-looking address (outside every special-purpose range) that the guard routes to a stand-in. */
export const PUBLIC_ADDRESS = '100.128.0.7';
/** Where nothing listens: non-loopback connects the test did not plan for end here. */
const NOWHERE = '127.255.255.254';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

export interface RebindingDns {
  /** Answers `name` with pick(n) on its n-th lookup; returns a counter of lookups made. */
  answer(name: string, pick: (n: number) => string): { lookups: () => number };
  /** Connections to `publicAddress` go to `loopbackAddress` (same port) instead. */
  standIn(publicAddress: string, loopbackAddress: string): void;
  /** Addresses the guard saw connections aimed at (after any resolution), in order. */
  connects: string[];
  restore(): void;
}

const isLoopback = (address: string) =>
  address === '::1' || address.startsWith('127.') || address === '::ffff:127.0.0.1';

export function installRebindingDns(): RebindingDns {
  const names = new Map<string, { pick: (n: number) => string; n: number }>();
  const standIns = new Map<string, string>();
  const connects: string[] = [];
  const original = {
    lookup: dns.lookup,
    promisesLookup: dns.promises.lookup,
    netConnect: net.connect,
    netCreateConnection: net.createConnection,
    tlsConnect: tls.connect,
  };

  const planned = (hostname: string): LookupAddress[] | null => {
    const entry = names.get(hostname.toLowerCase());
    if (!entry) return null;
    const address = entry.pick(entry.n);
    entry.n += 1;
    return [{ address, family: isIP(address) }];
  };

  function lookup(hostname: string, options: unknown, callback?: unknown): void {
    const cb = (typeof options === 'function' ? options : callback) as LookupCallback;
    const opts = (
      typeof options === 'object' && options !== null ? options : typeof options === 'number' ? { family: options } : {}
    ) as LookupOptions;
    const answers = planned(hostname);
    if (!answers) {
      (original.lookup as (h: string, o: LookupOptions, c: LookupCallback) => void)(hostname, opts, cb);
      return;
    }
    process.nextTick(() => (opts.all ? cb(null, answers) : cb(null, answers[0]!.address, answers[0]!.family)));
  }
  async function promisesLookup(
    hostname: string,
    options?: LookupOptions | number,
  ): Promise<LookupAddress | LookupAddress[]> {
    const answers = planned(hostname);
    if (!answers)
      return (
        original.promisesLookup as (h: string, o?: LookupOptions | number) => Promise<LookupAddress | LookupAddress[]>
      )(hostname, options);
    const opts = typeof options === 'number' ? { family: options } : (options ?? {});
    return opts.all ? answers : answers[0]!;
  }

  const route = (address: string): string => {
    connects.push(address);
    if (standIns.has(address)) return standIns.get(address)!;
    return isLoopback(address) ? address : NOWHERE;
  };
  // The socket's own lookup (the caller's, else the process's), its answers routed.
  const routedLookup =
    (inner: (h: string, o: LookupOptions, c: LookupCallback) => void) =>
    (hostname: string, opts: LookupOptions, cb: LookupCallback) => {
      inner(hostname, opts, (err, address, family) => {
        if (err) return cb(err, address, family);
        if (Array.isArray(address))
          return cb(
            null,
            address.map((a) => {
              const to = route(a.address);
              return { address: to, family: isIP(to) };
            }),
          );
        const to = route(address);
        return cb(null, to, isIP(to));
      });
    };
  type Connect = (...args: unknown[]) => unknown;
  const guarded = <T>(original: T): T => {
    const connect = original as unknown as Connect;
    return function (this: unknown, ...args: unknown[]) {
      const [options] = args;
      if (
        options &&
        typeof options === 'object' &&
        !Array.isArray(options) &&
        typeof (options as { host?: unknown }).host === 'string'
      ) {
        const opts = options as { host: string; lookup?: (h: string, o: LookupOptions, c: LookupCallback) => void };
        const rewritten = isIP(opts.host)
          ? { ...opts, host: route(opts.host) }
          : { ...opts, lookup: routedLookup(opts.lookup ?? (dns.lookup as never)) };
        return connect.call(this, rewritten, ...args.slice(1));
      }
      return connect.apply(this, args);
    } as unknown as T;
  };

  dns.lookup = lookup as typeof dns.lookup;
  dns.promises.lookup = promisesLookup as typeof dns.promises.lookup;
  net.connect = guarded(original.netConnect);
  net.createConnection = guarded(original.netCreateConnection);
  tls.connect = guarded(original.tlsConnect);
  syncBuiltinESMExports();

  return {
    answer(name, pick) {
      const entry = { pick, n: 0 };
      names.set(name.toLowerCase(), entry);
      return { lookups: () => entry.n };
    },
    standIn(publicAddress, loopbackAddress) {
      standIns.set(publicAddress, loopbackAddress);
    },
    connects,
    restore() {
      dns.lookup = original.lookup;
      dns.promises.lookup = original.promisesLookup;
      net.connect = original.netConnect;
      net.createConnection = original.netCreateConnection;
      tls.connect = original.tlsConnect;
      syncBuiltinESMExports();
    },
  };
}
