/**
 * Raw file descriptors in a real Reactor's reader/writer sets: pipes
 * (pipe2), FIFOs, socket pairs and regular files, watched with
 * addReader/addWriter through the native addon's poll handles and
 * dispatched as Twisted's poll reactors do.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { Failure } from '../../src/defer/failure';
import { ConnectionDone, ConnectionFdescWentAway, ConnectionLost, RuntimeError } from '../../src/errors';
import { readFromFD, writeToFD } from '../../src/fdesc';
import { CONTINUOUS_POLL_INTERVAL, RawPollSet } from '../../src/fdesc/poll-set';
import type { IHandleDescriptor } from '../../src/interfaces/fdset';
import { captureLogEvents, Logger } from '../../src/logger';
import { Reactor } from '../../src/reactor';
import { addon, describeNative, FdJar, tempDir } from '../native/helpers';

/** A raw descriptor that records the reactor's calls; doRead/doWrite are replaceable. */
class Raw {
  calls: string[] = [];
  data: Buffer[] = [];
  reasons: Failure[] = [];
  readonly lost: Promise<Failure>;
  #resolveLost!: (f: Failure) => void;
  onRead: () => unknown = () => readFromFD(this.fd, (d) => this.data.push(d));
  onWrite: () => unknown = () => undefined;

  constructor(
    readonly fd: number,
    readonly name = `raw fd ${fd}`,
  ) {
    this.lost = new Promise((resolve) => {
      this.#resolveLost = resolve;
    });
  }
  fileno(): number {
    return this.fd;
  }
  logPrefix(): string {
    return this.name;
  }
  doRead(): Error | undefined {
    this.calls.push('doRead');
    return this.onRead() as Error | undefined;
  }
  doWrite(): Error | undefined {
    this.calls.push('doWrite');
    return this.onWrite() as Error | undefined;
  }
  connectionLost(reason: Failure): void {
    this.calls.push('connectionLost');
    this.reasons.push(reason);
    this.#resolveLost(reason);
  }
  text(): string {
    return Buffer.concat(this.data).toString();
  }
}

/** Resolves when `pred()` holds, checked after every doRead/doWrite of `raw`. */
function when(raw: Raw, pred: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (pred()) return resolve();
    const read = raw.onRead;
    raw.onRead = () => {
      const r = read();
      if (pred()) {
        raw.onRead = read;
        resolve();
      }
      return r;
    };
  });
}

const jar = new FdJar();
let reactor: Reactor;
let done: Promise<void>;
beforeEach(() => {
  reactor = new Reactor();
  done = reactor.run();
});
afterEach(async () => {
  if (reactor.running) reactor.stop();
  await done;
  jar.closeAll();
});

describeNative('pipes and FIFOs watched with addReader', () => {
  it('a pipe2 reader gets the data, then ConnectionDone once when the writer closes', async () => {
    const [r, w] = jar.add(...addon().pipe(true));
    const raw = new Raw(r);
    reactor.addReader(raw);
    expect(reactor.getReaders()).toEqual([raw]);
    writeToFD(w, Buffer.from('hello, '));
    await when(raw, () => raw.text() === 'hello, ');
    writeToFD(w, Buffer.from('pipe'));
    jar.close(w);
    const reason = await raw.lost;
    expect(reason.value).toBeInstanceOf(ConnectionDone);
    expect(raw.text()).toBe('hello, pipe');
    expect(raw.calls.filter((c) => c === 'connectionLost')).toEqual(['connectionLost']);
    expect(reactor.getReaders()).toEqual([]);
  });

  it('a FIFO opened non-blocking is watched the same way', async () => {
    const [dir, rm] = tempDir('torsion-fifo-');
    try {
      const fifo = path.join(dir, 'fifo');
      execFileSync('mkfifo', [fifo]);
      const r = jar.add(fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK))[0];
      const w = jar.add(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK))[0];
      const raw = new Raw(r, 'fifo reader');
      reactor.addReader(raw);
      fs.writeSync(w, 'through the fifo');
      await when(raw, () => raw.text() === 'through the fifo');
      jar.close(w);
      expect((await raw.lost).value).toBeInstanceOf(ConnectionDone);
    } finally {
      rm();
    }
  });

  it('a writer is called while the fd is writable, and stops once removed', async () => {
    const [r, w] = jar.add(...addon().pipe(true));
    const raw = new Raw(w, 'pipe writer');
    const wrote = new Promise<void>((resolve) => {
      raw.onWrite = () => {
        writeToFD(w, Buffer.from('from doWrite'));
        reactor.removeWriter(raw);
        resolve();
        return undefined;
      };
    });
    reactor.addWriter(raw);
    expect(reactor.getWriters()).toEqual([raw]);
    await wrote;
    expect(reactor.getWriters()).toEqual([]);
    const reader = new Raw(r, 'pipe reader');
    reactor.addReader(reader);
    await when(reader, () => reader.text() === 'from doWrite');
    expect(raw.calls).toEqual(['doWrite']);
  });

  it('doRead runs before doWrite on one event, and doWrite runs only when doRead returned nothing', async () => {
    const [a, b] = jar.add(...addon().socketpair(false, true));
    writeToFD(b, Buffer.from('ready to read'));
    const raw = new Raw(a, 'socket');
    const twoCalls = new Promise<void>((resolve) => {
      raw.onWrite = () => {
        reactor.removeReader(raw);
        reactor.removeWriter(raw);
        resolve();
        return undefined;
      };
    });
    reactor.addReader(raw);
    reactor.addWriter(raw);
    await twoCalls;
    expect(raw.calls).toEqual(['doRead', 'doWrite']);
    expect(raw.text()).toBe('ready to read');
  });

  it('an Error returned by doRead drops it from both sets and is the reason of connectionLost; doWrite is not called', async () => {
    const [a, b] = jar.add(...addon().socketpair(false, true));
    writeToFD(b, Buffer.from('x'));
    const raw = new Raw(a);
    const err = new ConnectionLost('protocol gave up');
    raw.onRead = () => err;
    reactor.addReader(raw);
    reactor.addWriter(raw);
    expect((await raw.lost).value).toBe(err);
    expect(raw.calls).toEqual(['doRead', 'connectionLost']);
    expect(reactor.getReaders()).toEqual([]);
    expect(reactor.getWriters()).toEqual([]);
  });

  it('a doRead that throws is logged, dropped from both sets and lost with the exception, once', async () => {
    const [a, b] = jar.add(...addon().socketpair(false, true));
    writeToFD(b, Buffer.from('x'));
    const raw = new Raw(a, 'thrower');
    const boom = new Error('boom in doRead');
    raw.onRead = () => {
      throw boom;
    };
    const [events, stopLog] = captureLogEvents();
    try {
      reactor.addReader(raw);
      reactor.addWriter(raw);
      expect((await raw.lost).value).toBe(boom);
    } finally {
      stopLog();
    }
    expect(raw.calls).toEqual(['doRead', 'connectionLost']);
    expect(events.some((e) => e.failure?.value === boom && /doRead of thrower/.test(String(e.message ?? e.format ?? '')))).toBe(
      true,
    );
    expect(reactor.getWriters()).toEqual([]);
  });

  it('an async doRead whose promise rejects is handled the same way', async () => {
    const [r, w] = jar.add(...addon().pipe(true));
    writeToFD(w, Buffer.from('x'));
    const raw = new Raw(r);
    const boom = new Error('async boom');
    raw.onRead = () => {
      reactor.removeReader(raw); // one call is enough; the rejection arrives later
      reactor.addWriter(raw);
      return Promise.reject(boom);
    };
    const [events, stopLog] = captureLogEvents();
    try {
      reactor.addReader(raw);
      expect((await raw.lost).value).toBe(boom);
    } finally {
      stopLog();
    }
    expect(events.some((e) => e.failure?.value === boom)).toBe(true);
    expect(reactor.getWriters()).toEqual([]);
  });

  it('a writer-only socket whose peer hangs up is lost with ConnectionLost, without doWrite', async () => {
    const [a, b] = jar.add(...addon().socketpair(false, true));
    jar.close(b);
    const raw = new Raw(a, 'writer');
    reactor.addWriter(raw);
    expect((await raw.lost).value).toBeInstanceOf(ConnectionLost);
    expect(raw.calls).toEqual(['connectionLost']);
  });

  it('a poll error (a pipe writer whose reader closed: POLLERR, EBADF) is ConnectionLost with the errno error as cause', async () => {
    const [r, w] = jar.add(...addon().pipe(true));
    jar.close(r);
    const raw = new Raw(w, 'orphan writer');
    reactor.addWriter(raw);
    const reason = await raw.lost;
    expect(reason.value).toBeInstanceOf(ConnectionLost);
    expect((reason.value as Error).cause).toMatchObject({ code: 'EBADF' });
    expect(raw.calls).toEqual(['connectionLost']);
    expect(reactor.getWriters()).toEqual([]);
  });
});

describeNative('regular files', () => {
  it('are polled continuously every 0.01 s on the reactor clock: data, then ConnectionDone at end of file', async () => {
    const [dir, rm] = tempDir('torsion-file-');
    try {
      const file = path.join(dir, 'data.txt');
      fs.writeFileSync(file, 'x'.repeat(20000));
      const fd = jar.add(fs.openSync(file, 'r'))[0];
      const raw = new Raw(fd, 'file');
      reactor.addReader(raw);
      const calls = reactor.getDelayedCalls();
      expect(calls).toHaveLength(1);
      expect(calls[0].getTime() - reactor.seconds()).toBeLessThanOrEqual(CONTINUOUS_POLL_INTERVAL);
      expect((await raw.lost).value).toBeInstanceOf(ConnectionDone);
      expect(raw.text()).toBe('x'.repeat(20000));
      // 8 KiB per pass: three passes with data, the fourth reads end of file.
      expect(raw.calls).toEqual(['doRead', 'doRead', 'doRead', 'doRead', 'connectionLost']);
      expect(reactor.getDelayedCalls()).toEqual([]);
    } finally {
      rm();
    }
  });

  it('removing the last one stops the polling loop', () => {
    const [dir, rm] = tempDir('torsion-file-');
    try {
      const file = path.join(dir, 'f');
      fs.writeFileSync(file, '');
      const fd = jar.add(fs.openSync(file, 'r+'))[0];
      const raw = new Raw(fd);
      reactor.addWriter(raw);
      expect(reactor.getDelayedCalls()).toHaveLength(1);
      reactor.removeWriter(raw);
      expect(reactor.getDelayedCalls()).toEqual([]);
    } finally {
      rm();
    }
  });
});

describeNative('the sets', () => {
  it('adding the same descriptor twice does nothing; a different object on the same fd is a RuntimeError', () => {
    const [r] = jar.add(...addon().pipe(true));
    const raw = new Raw(r, 'first');
    reactor.addReader(raw);
    reactor.addReader(raw);
    expect(reactor.getReaders()).toEqual([raw]);
    const other = new Raw(r, 'second');
    expect(() => reactor.addReader(other)).toThrow(RuntimeError);
    expect(() => reactor.addWriter(other)).toThrow(/fd \d+ is already watched by first/);
    expect(reactor.getReaders()).toEqual([raw]);
    expect(reactor.getWriters()).toEqual([]);
    reactor.removeReader(raw);
    // The fd is free again once the first left both sets.
    reactor.addReader(other);
    expect(reactor.getReaders()).toEqual([other]);
  });

  it('getReaders/getWriters list raw and handle descriptors; removeAll returns each once and frees the fds', () => {
    const handle: IHandleDescriptor = {
      fileno: () => -1,
      logPrefix: () => 'handle',
      connectionLost: () => undefined,
      _startReadingHandle: () => undefined,
      _stopReadingHandle: () => undefined,
    };
    const [r, w] = jar.add(...addon().pipe(true));
    const reader = new Raw(r);
    const writer = new Raw(w);
    reactor.addReader(handle);
    reactor.addReader(reader);
    reactor.addReader(writer);
    reactor.addWriter(writer);
    expect(reactor.getReaders()).toEqual([handle, reader, writer]);
    expect(reactor.getWriters()).toEqual([writer]);
    expect(new Set(reactor.removeAll())).toEqual(new Set([handle, reader, writer]));
    expect(reactor.getReaders()).toEqual([]);
    expect(reactor.getWriters()).toEqual([]);
    expect(reader.calls).toEqual([]);
    reactor.addReader(new Raw(r, 'again'));
    reactor.addWriter(new Raw(w, 'again'));
  });

  it('reactor.stop() gives each raw descriptor connectionLost(ConnectionLost) exactly once', async () => {
    const [r, w] = jar.add(...addon().pipe(true));
    const reader = new Raw(r);
    const writer = new Raw(w);
    writer.onWrite = () => undefined;
    reactor.addReader(reader);
    reactor.addReader(writer);
    reactor.addWriter(writer);
    reactor.stop();
    await done;
    for (const d of [reader, writer]) {
      expect(d.calls.filter((c) => c === 'connectionLost')).toEqual(['connectionLost']);
      expect(d.reasons[0].value).toBeInstanceOf(ConnectionLost);
    }
    expect(reactor.getReaders()).toEqual([]);
  });

  it('leaves O_NONBLOCK as it found it (blocking and non-blocking fds)', () => {
    const a = addon();
    const [rb] = jar.add(...a.pipe(false));
    const [rn] = jar.add(...a.pipe(true));
    reactor.addReader(new Raw(rb));
    reactor.addReader(new Raw(rn));
    expect(a.getStatusFlags(rb) & a.O_NONBLOCK).toBe(0);
    expect(a.getStatusFlags(rn) & a.O_NONBLOCK).toBe(a.O_NONBLOCK);
  });

  it('a descriptor added before run() is dispatched once the reactor runs', async () => {
    const r2 = new Reactor();
    const [r, w] = jar.add(...addon().pipe(true));
    const raw = new Raw(r);
    writeToFD(w, Buffer.from('early'));
    r2.addReader(raw);
    const ran = r2.run();
    await when(raw, () => raw.text() === 'early');
    r2.stop();
    await ran;
    expect(raw.reasons[0].value).toBeInstanceOf(ConnectionLost);
  });

  it('a closed fd is refused by addReader with the system error, naming the descriptor', () => {
    const raw = new Raw(2147483000, 'stale');
    expect(() => reactor.addReader(raw)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(() => reactor.addReader(raw)).toThrow(/addReader\(stale, fd 2147483000\)/);
    expect(reactor.getReaders()).toEqual([]);
  });

  it.each([
    [-1, RangeError],
    [1.5, RangeError],
    ['3', TypeError],
  ])('fileno() returning %p is a %p', (fd, Err) => {
    const raw = { ...new Raw(0), fileno: () => fd as number, doRead: () => undefined };
    expect(() => reactor.addReader(raw as unknown as Raw)).toThrow(Err as ErrorConstructor);
  });
});

describeNative("Twisted's dispatch of a hang-up (synthetic events)", () => {
  // Linux always reports a readable end of file with a hang-up, so these
  // events are fed to the poll set directly.
  const UV_READABLE = 1;
  const UV_WRITABLE = 2;
  const UV_DISCONNECT = 4;
  function pollSet(): [RawPollSet, Raw[]] {
    const removed: Raw[] = [];
    const set: RawPollSet = new RawPollSet(
      new Logger('spec'),
      {
        removeReader: (d) => {
          removed.push(d as unknown as Raw);
          set.unwatch(d, 'read');
        },
        removeWriter: (d) => set.unwatch(d, 'write'),
      },
      { callLater: () => ({ cancel: () => undefined }) },
    );
    return [set, removed];
  }

  it('with nothing left to read, a reader is ConnectionDone without doRead', () => {
    const [set] = pollSet();
    const [r] = jar.add(...addon().pipe(true));
    const raw = new Raw(r);
    set.watch(raw, 'read');
    set._dispatchFor(raw, 0, UV_DISCONNECT);
    expect(raw.calls).toEqual(['connectionLost']);
    expect(raw.reasons[0].value).toBeInstanceOf(ConnectionDone);
  });

  it('a writer is ConnectionLost without doWrite', () => {
    const [set] = pollSet();
    const [, w] = jar.add(...addon().pipe(true));
    const raw = new Raw(w);
    set.watch(raw, 'write');
    set._dispatchFor(raw, 0, UV_WRITABLE | UV_DISCONNECT);
    expect(raw.calls).toEqual(['connectionLost']);
    expect(raw.reasons[0].value).toBeInstanceOf(ConnectionLost);
  });

  it('a hang-up with data pending reads first', () => {
    const [set] = pollSet();
    const [r, w] = jar.add(...addon().pipe(true));
    writeToFD(w, Buffer.from('last words'));
    const raw = new Raw(r);
    set.watch(raw, 'read');
    set._dispatchFor(raw, 0, UV_READABLE | UV_DISCONNECT);
    expect(raw.calls).toEqual(['doRead']);
    expect(raw.text()).toBe('last words');
  });

  it('fileno() returning -1 at an event is ConnectionFdescWentAway', () => {
    const [set] = pollSet();
    const [r] = jar.add(...addon().pipe(true));
    let fd = r;
    const raw = new Raw(r);
    raw.fileno = () => fd;
    set.watch(raw, 'read');
    fd = -1;
    set._dispatchFor(raw, 0, UV_READABLE);
    expect(raw.calls).toEqual(['connectionLost']);
    expect(raw.reasons[0].value).toBeInstanceOf(ConnectionFdescWentAway);
  });

  it('events after the loss are ignored (connectionLost once)', () => {
    const [set] = pollSet();
    const [r] = jar.add(...addon().pipe(true));
    const raw = new Raw(r);
    set.watch(raw, 'read');
    set._dispatchFor(raw, 0, UV_DISCONNECT);
    set._dispatchFor(raw, 0, UV_DISCONNECT);
    expect(raw.calls).toEqual(['connectionLost']);
  });
});
