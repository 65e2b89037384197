// Preload (`node -r .ci/no-bindings.js`, or through NODE_OPTIONS) that makes
// Node's private bindings really unavailable: process.binding is gone, as it
// would be on a Node without it. `npm run test:nobindings` runs the whole
// suite under it (with TORSION_NO_BINDINGS=1), so the public path is tested
// as users of such a Node get it, not only through the in-process switch.
'use strict';
delete process.binding;
if (typeof process.binding === 'function') {
  throw new Error('.ci/no-bindings.js: process.binding could not be removed');
}
