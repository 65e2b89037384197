/**
 * The addon loader: found by walking up from the module, loaded once,
 * reported by nativeAddonStatus().
 */
import * as path from 'node:path';

import { nativeAddonStatus } from '../../src/fdesc';
import { _setNativeUnavailable, nativeAddon, requireNative } from '../../src/native';
import { describeNative } from './helpers';

const ROOT = path.resolve(__dirname, '../..');

describeNative('the native addon loader', () => {
  it('finds build/Release/torsion_native.node of this checkout and reports it available', () => {
    expect(nativeAddonStatus()).toEqual({
      available: true,
      path: path.join(ROOT, 'build', 'Release', 'torsion_native.node'),
      reason: null,
    });
  });

  it('loads the addon once: every call returns the same module', () => {
    expect(nativeAddon()).toBe(nativeAddon());
    expect(requireNative('a spec')).toBe(nativeAddon());
  });

  it('the test switch hides it and undoing it brings it back', () => {
    _setNativeUnavailable('hidden');
    try {
      expect(nativeAddon()).toBeNull();
      expect(nativeAddonStatus().available).toBe(false);
    } finally {
      _setNativeUnavailable(null);
    }
    expect(nativeAddonStatus().available).toBe(true);
  });
});
