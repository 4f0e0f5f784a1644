// on-exit-leak-free (pino's own exit-hook registry) ships no types: the part ttv calls.
declare module 'on-exit-leak-free' {
  /** Calls `fn(obj, 'exit')` on process exit while `obj` is alive; holds `obj` weakly. */
  export function register<T extends object>(obj: T, fn: (obj: T, event: 'exit') => void): void;
}
