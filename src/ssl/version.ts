/**
 * TLS protocol versions, named as Twisted's `TLSVersion` and valued as
 * `node:tls` names them.
 * @module
 */

/** The TLS protocol versions (values are node:tls's `minVersion`/`maxVersion` names). */
export const TLSVersion = {
  TLSv1: 'TLSv1',
  TLSv1_1: 'TLSv1.1',
  TLSv1_2: 'TLSv1.2',
  TLSv1_3: 'TLSv1.3',
} as const;

/** One of the {@link TLSVersion} values. */
export type TLSVersion = (typeof TLSVersion)[keyof typeof TLSVersion];

const ORDER: readonly TLSVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** Whether `v` is a TLSVersion value. @internal */
export function isTLSVersion(v: unknown): v is TLSVersion {
  return typeof v === 'string' && (ORDER as readonly string[]).includes(v);
}

/** The rank of a version (TLSv1 = 0). @internal */
export function versionRank(v: TLSVersion): number {
  return ORDER.indexOf(v);
}
