#!/usr/bin/env node
// Builds torsion's native addon (build/Release/torsion_native.node) with
// node-gyp. Run by npm as the package's "install" script, and by
// `npm run build:native`.
//
// The install must never fail because of the addon: without a C++
// compiler, python3, make or the Node headers, this prints why and exits 0,
// and torsion works without the addon (raw file descriptors, torsion/fdesc,
// TCP keepalive interval/count and UNIX datagram sockets then throw
// NativeAddonUnavailableError). `--strict` (build:native) exits with
// node-gyp's status instead.
//
// The reason of a failed build is kept in build/torsion_native.failed, so
// nativeAddonStatus() can say it later.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const strict = process.argv.includes('--strict');
const failedMarker = path.join(root, 'build', 'torsion_native.failed');
const HOW =
  'torsion works without it; raw file descriptors (reactor.addReader on a fileno()), torsion/fdesc, ' +
  'TCP keepalive interval/count and UNIX datagram sockets then throw NativeAddonUnavailableError. ' +
  'To build it, install a C++ compiler, python3 and make, then run `npm rebuild torsion`.';

function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] }));
  } catch {
    // not installed locally: npm's bundled copy below
  }
  const prefix = path.dirname(path.dirname(process.execPath));
  candidates.push(path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => fs.existsSync(c)) ?? null;
}

/** The Node headers of this node, when installed beside it (no download needed). */
function localNodeDir() {
  if (process.env.npm_config_nodedir) return null; // node-gyp reads it itself
  const prefix = path.dirname(path.dirname(process.execPath));
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : null;
}

function giveUp(reason) {
  try {
    fs.mkdirSync(path.dirname(failedMarker), { recursive: true });
    fs.writeFileSync(failedMarker, `${reason}\n`);
  } catch {
    // read-only install directory: the message below is all there is
  }
  console.warn(`torsion: the native addon was not built: ${reason}.\ntorsion: ${HOW}`);
  process.exit(strict ? 1 : 0);
}

function main() {
  if (process.env.TORSION_NO_NATIVE === '1' && !strict) {
    console.warn('torsion: TORSION_NO_NATIVE=1 is set, so the native addon is not built.');
    return;
  }
  const nodeGyp = findNodeGyp();
  if (nodeGyp === null) return giveUp('node-gyp was not found (it comes with npm)');
  const args = [nodeGyp, 'rebuild'];
  const nodedir = localNodeDir();
  if (nodedir !== null) args.push(`--nodedir=${nodedir}`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: process.env });
  if (r.error) return giveUp(`node-gyp could not run (${r.error.message})`);
  if (r.status !== 0) {
    const how = r.signal ? `was killed by ${r.signal}` : `exited with status ${r.status}`;
    return giveUp(`node-gyp rebuild ${how} (a C++ compiler, python3, make and the Node headers are needed; its output is above)`);
  }
  if (!fs.existsSync(path.join(root, 'build', 'Release', 'torsion_native.node'))) {
    return giveUp('node-gyp succeeded but build/Release/torsion_native.node is missing');
  }
  fs.rmSync(failedMarker, { force: true });
  console.log('torsion: native addon built (build/Release/torsion_native.node)');
}

try {
  main();
} catch (err) {
  giveUp(`the build script failed (${err && err.message ? err.message : String(err)})`);
}
