/**
 * The client's CHARSET policy (telnetlib3's `send_charset`), as a pure
 * function over the codec module's names.
 * @module
 */
import { findCodec } from '../../codec';

/** A chosen offer: the name as the server spelled it, and torsion's canonical name. */
export interface CharsetChoice {
  offer: string;
  canonical: string;
}

/**
 * The codec name torsion knows `name` by, or null. Odd spellings are
 * normalised (`'iso-8859-02'`, `'ISO8859-2'`, `'cp-1250'`, `' utf 8 '`).
 */
export function normaliseCharset(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed === '') return null;
  return findCodec(trimmed)?.name ?? findCodec(trimmed.replace(/\s+/g, '-'))?.name ?? null;
}

/**
 * Choose among `offered` for a client whose own encoding is `desired`:
 * 1. the offer naming `desired` (compared by canonical name), if any;
 * 2. `desired` is Latin-1 (a weak preference): the first offer torsion can use;
 * 3. another explicit `desired` not offered: null (reject, keep ours);
 * 4. no preference (`desired` false/empty/unknown): the first usable offer;
 * null when nothing offered is usable.
 */
export function selectCharset(desired: string | false | null, offered: readonly string[]): CharsetChoice | null {
  const want = desired ? normaliseCharset(desired) : null;
  let first: CharsetChoice | null = null;
  for (const offer of offered) {
    const canonical = normaliseCharset(offer);
    if (canonical === null) continue;
    first ??= { offer, canonical };
    if (want !== null && canonical === want) return { offer, canonical };
  }
  if (want !== null && want !== 'latin-1') return null;
  return first;
}
