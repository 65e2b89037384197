/**
 * Helpers of the native-addon specs. `describeNative` runs its block only
 * with the addon: under `TORSION_NO_NATIVE=1` (CI's fallback run) it is
 * skipped with the reason printed; without the addon otherwise, its tests
 * fail (a build that lost its addon must not pass silently).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { type NativeAddon, nativeAddon, nativeAddonStatus } from '../../src/native';

/** True when the run deliberately has no addon (TORSION_NO_NATIVE=1). */
export const NO_NATIVE = process.env.TORSION_NO_NATIVE === '1';

/** `describe` for blocks that need the addon (see the module comment). */
export function describeNative(name: string, body: () => void): void {
  if (NO_NATIVE) {
    describe.skip(name, body);
    console.log(`skipped "${name}": TORSION_NO_NATIVE=1 (the fallback run; spec/native/fallback.spec.ts covers it)`);
    return;
  }
  describe(name, () => {
    beforeAll(() => {
      const s = nativeAddonStatus();
      if (!s.available) throw new Error(`the native addon is unavailable (${s.reason}); run npm run build:native`);
    });
    body();
  });
}

/** The loaded addon (call inside a describeNative block). */
export function addon(): NativeAddon {
  const a = nativeAddon();
  if (a === null) throw new Error(`the native addon is unavailable (${nativeAddonStatus().reason})`);
  return a;
}

/** Fds opened by a test, closed after it (those already closed are ignored). */
export class FdJar {
  readonly #fds = new Set<number>();
  add<T extends number[]>(...fds: T): T {
    for (const fd of fds) this.#fds.add(fd);
    return fds;
  }
  /** Close `fd` now (and forget it). */
  close(fd: number): void {
    this.#fds.delete(fd);
    fs.closeSync(fd);
  }
  closeAll(): void {
    for (const fd of this.#fds) {
      try {
        fs.closeSync(fd);
      } catch {
        // closed by the test
      }
    }
    this.#fds.clear();
  }
}

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(prefix: string): [string, () => void] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return [dir, () => fs.rmSync(dir, { recursive: true, force: true })];
}
