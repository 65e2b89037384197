/**
 * `FilesystemLock` and `isLocked` (Twisted's `twisted.python.lockfile`): a
 * lock is a symbolic link whose target is the owner's PID. Creating a
 * symlink is atomic, so two processes cannot both take it; a link whose
 * process is gone is stale and is broken by the next `lock()`.
 * @module
 */
import * as fs from 'node:fs';
import { RuntimeError } from '../errors';
import { checkString } from '../validate';

/** Whether `pid` names a live process (one we may not signal is alive too). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The owner's PID read from the lock link, null if there is none. */
function readOwner(name: string): number | null {
  let target: string;
  try {
    target = fs.readlinkSync(name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const pid = /^[0-9]+$/.test(target) ? Number(target) : Number.NaN;
  if (!Number.isSafeInteger(pid) || pid <= 0) {
    throw new RuntimeError(`${name} is not a lock file: it links to ${JSON.stringify(target)}, not to a process id`);
  }
  return pid;
}

/**
 * A lock on the file system, shared between processes (Twisted's
 * `FilesystemLock`). listenUNIX's `wantPID` takes one on `path + '.lock'`.
 *
 * @example
 * const lock = new FilesystemLock('/run/app.lock');
 * if (lock.lock()) {
 *   try { work(); } finally { lock.unlock(); }
 * }
 */
export class FilesystemLock {
  /** The path of the lock link. */
  readonly name: string;
  #locked = false;
  #clean = false;

  /** @param name - the path of the lock link (it need not exist). */
  constructor(name: string) {
    checkString('name', name);
    this.name = name;
  }

  /** Whether this object holds the lock. */
  get locked(): boolean {
    return this.#locked;
  }

  /**
   * Whether the last successful `lock()` found no stale lock to break
   * (false before any, and after one that broke a dead owner's lock).
   */
  get clean(): boolean {
    return this.#clean;
  }

  /**
   * Take the lock: link `name` to this process's PID. A lock whose owner is
   * no longer alive is removed and taken (`clean` is then false).
   * @returns true if this process now holds the lock, false if a live process holds it.
   * @throws the file system's error (EACCES, ENOENT for a missing
   * directory...), or RuntimeError when `name` is a link to something other
   * than a process id.
   */
  lock(): boolean {
    let clean = true;
    for (;;) {
      try {
        fs.symlinkSync(String(process.pid), this.name);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const owner = readOwner(this.name);
        // Vanished meanwhile: try again.
        if (owner === null) continue;
        if (alive(owner)) return false;
        try {
          fs.unlinkSync(this.name);
        } catch (e) {
          // Another process broke it first: race it for the lock.
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
        clean = false;
        continue;
      }
      this.#locked = true;
      this.#clean = clean;
      return true;
    }
  }

  /**
   * Release the lock.
   * @throws RuntimeError if this process does not own it; the file
   * system's error if the link is gone.
   */
  unlock(): void {
    const owner = readOwner(this.name);
    if (owner !== process.pid) {
      throw new RuntimeError(`Lock ${JSON.stringify(this.name)} not owned by this process`);
    }
    fs.unlinkSync(this.name);
    this.#locked = false;
  }

  /** A short description for debugging. */
  toString(): string {
    return `<FilesystemLock ${JSON.stringify(this.name)}${this.#locked ? ' (locked)' : ''}>`;
  }
}

/**
 * Whether a live process holds the lock `name`. Unlike Twisted's
 * `isLocked`, which takes and releases the lock (deleting a stale one as
 * a side effect), this only reads it: the lock is never modified.
 * @param name - the path of the lock link.
 * @throws RuntimeError when `name` is a link to something other than a
 * process id; the file system's error other than ENOENT.
 */
export function isLocked(name: string): boolean {
  checkString('name', name);
  const owner = readOwner(name);
  return owner !== null && alive(owner);
}
