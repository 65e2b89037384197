/**
 * torsion/fdesc on real pipes and sockets: the non-blocking read/write
 * helpers return what Twisted's fdesc returns (data / nothing /
 * ConnectionDone / ConnectionLost, bytes written / 0).
 */
import { ConnectionDone, ConnectionLost } from '../../src/errors';
import { readFromFD, setBlocking, setNonBlocking, writeToFD } from '../../src/fdesc';
import { addon, describeNative, FdJar } from '../native/helpers';

/** An fd number no process has open (far above any RLIMIT_NOFILE): every call on it fails with EBADF. */
const BAD_FD = 2147483000;
const jar = new FdJar();
afterEach(() => jar.closeAll());

describeNative('setNonBlocking / setBlocking', () => {
  it('set and clear O_NONBLOCK on the fd', () => {
    const a = addon();
    const [r] = jar.add(...a.pipe(false));
    expect(a.getStatusFlags(r) & a.O_NONBLOCK).toBe(0);
    setNonBlocking(r);
    expect(a.getStatusFlags(r) & a.O_NONBLOCK).toBe(a.O_NONBLOCK);
    setBlocking(r);
    expect(a.getStatusFlags(r) & a.O_NONBLOCK).toBe(0);
  });

  it('throw the system error for a closed fd', () => {
    expect(() => setNonBlocking(BAD_FD)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'fcntl' }));
  });

  it.each([-1, 1.5, Number.NaN])('refuse the fd %p with a RangeError', (fd) => {
    expect(() => setNonBlocking(fd)).toThrow(RangeError);
  });

  it('refuse a non-number fd with a TypeError', () => {
    expect(() => setBlocking('3' as unknown as number)).toThrow(TypeError);
  });
});

describeNative('readFromFD', () => {
  it('hands the data to the callback and returns nothing', () => {
    const [r, w] = jar.add(...addon().pipe(true));
    expect(writeToFD(w, Buffer.from('hello'))).toBe(5);
    const got: Buffer[] = [];
    expect(readFromFD(r, (d) => got.push(d))).toBeUndefined();
    expect(Buffer.concat(got).toString()).toBe('hello');
  });

  it('reads at most 8 KiB at a time', () => {
    const [r, w] = jar.add(...addon().pipe(true));
    expect(writeToFD(w, Buffer.alloc(20000, 7))).toBe(20000);
    const sizes: number[] = [];
    while (readFromFD(r, (d) => sizes.push(d.length)) === undefined && sizes.reduce((x, y) => x + y, 0) < 20000);
    expect(sizes).toEqual([8192, 8192, 3616]);
  });

  it('returns nothing and calls nothing when the read would block', () => {
    const [r] = jar.add(...addon().pipe(true));
    const cb = jest.fn();
    expect(readFromFD(r, cb)).toBeUndefined();
    expect(cb).not.toHaveBeenCalled();
  });

  it('returns ConnectionDone at end of file', () => {
    const [r, w] = jar.add(...addon().pipe(true));
    jar.close(w);
    expect(readFromFD(r, jest.fn())).toBeInstanceOf(ConnectionDone);
  });

  it('returns ConnectionLost with the system error as cause on a read error', () => {
    const lost = readFromFD(BAD_FD, jest.fn());
    expect(lost).toBeInstanceOf(ConnectionLost);
    expect((lost as ConnectionLost).cause).toMatchObject({ code: 'EBADF', syscall: 'read' });
  });

  it("lets an exception of the callback through (it is the caller's, as in Twisted)", () => {
    const [r, w] = jar.add(...addon().pipe(true));
    writeToFD(w, Buffer.from('x'));
    expect(() =>
      readFromFD(r, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
  });

  it('refuses a callback that is not a function', () => {
    const [r] = jar.add(...addon().pipe(true));
    expect(() => readFromFD(r, null as unknown as () => void)).toThrow(TypeError);
  });
});

describeNative('writeToFD', () => {
  it('returns 0 when the pipe is full', () => {
    const [, w] = jar.add(...addon().pipe(true));
    let total = 0;
    let n: number | ConnectionLost;
    while ((n = writeToFD(w, Buffer.alloc(65536))) !== 0) total += n as number;
    expect(total).toBeGreaterThan(0);
    expect(writeToFD(w, Buffer.from('x'))).toBe(0);
  });

  it('returns ConnectionLost (EPIPE) when the reader is gone', () => {
    const [r, w] = jar.add(...addon().pipe(true));
    jar.close(r);
    const lost = writeToFD(w, Buffer.from('x'));
    expect(lost).toBeInstanceOf(ConnectionLost);
    expect((lost as ConnectionLost).cause).toMatchObject({ code: 'EPIPE', syscall: 'write' });
  });

  it('accepts a Uint8Array view at an offset', () => {
    const [r, w] = jar.add(...addon().pipe(true));
    const bytes = new Uint8Array([0, 1, 2, 3, 4, 5]).subarray(2, 5);
    expect(writeToFD(w, bytes)).toBe(3);
    const got: Buffer[] = [];
    readFromFD(r, (d) => got.push(d));
    expect([...Buffer.concat(got)]).toEqual([2, 3, 4]);
  });

  it('refuses a string with a TypeError', () => {
    const [, w] = jar.add(...addon().pipe(true));
    expect(() => writeToFD(w, 'text' as unknown as Buffer)).toThrow(TypeError);
  });
});
