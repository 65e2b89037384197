/**
 * Cross-checks against CPython's own ctypes and struct: the specs ask the
 * real thing when /usr/bin/python3 (or python3 on PATH) is there, and print
 * why they skip when it is not.
 */
import { execFileSync } from 'node:child_process';

function findPython(): string | null {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(candidate, ['-c', 'import ctypes, struct'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // try the next one
    }
  }
  return null;
}

/** The python3 to ask, or null (with the reason printed once). */
export const PYTHON = findPython();
if (PYTHON === null) console.log('struct specs: no python3 with ctypes found, the CPython cross-checks are skipped');

/** Run `script` with python3, `input` as JSON in sys.argv[1]; it prints one JSON document, returned parsed. */
export function runPython<T>(script: string, input: unknown): T {
  if (PYTHON === null) throw new Error('python3 is not available');
  return JSON.parse(execFileSync(PYTHON, ['-c', script, JSON.stringify(input)], { encoding: 'utf8' })) as T;
}
