/**
 * Linkage keys become keyed hashes (HMAC-SHA-256 under VAWG_LINKAGE_SECRET) before anything is
 * written. A plain hash of an SLK-581 could be reversed by enumerating names and birth dates; a
 * keyed hash cannot without the secret.
 */
import { createHmac } from 'node:crypto';

export type Tokenize = (linkageKey: string) => string;

export function createTokenizer(secret: string, purpose = 'slk581'): Tokenize {
  return (linkageKey) => createHmac('sha256', secret).update(`${purpose}:${linkageKey.toUpperCase()}`).digest('base64url');
}
