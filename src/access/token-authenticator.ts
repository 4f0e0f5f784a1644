// The configured security.auth_token as one admin key, compared in constant time (digests of equal
// length, so neither the length nor a prefix of the token leaks through timing).
import { createHash, timingSafeEqual } from 'node:crypto';
import { CONFIG_TOKEN_PRINCIPAL, type Principal } from './principal.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export class TokenMatcher {
  private readonly expected: Buffer | null;

  constructor(token: string | null) {
    this.expected = token?.trim() ? digest(token.trim()) : null;
  }

  get configured(): boolean {
    return this.expected !== null;
  }

  match(presented: string): Principal | null {
    if (!this.expected) return null;
    return timingSafeEqual(digest(presented), this.expected) ? CONFIG_TOKEN_PRINCIPAL : null;
  }
}
