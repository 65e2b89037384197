/**
 * The UNIX endpoints and the `unix:` description strings: what each string
 * builds, every bad field, and real connections through the endpoints.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UNIXAddress } from '../../src/address';
import { CannotListenError, ConnectError, NativeAddonUnavailableError } from '../../src/errors';
import {
  UNIXClientEndpoint,
  UNIXServerEndpoint,
  clientFromString,
  serverFromString,
  EndpointParseError,
} from '../../src/endpoints';
import type { IReactorUNIX } from '../../src/interfaces/unix';
import type { IReactorTCP } from '../../src/interfaces/tcp';
import { Factory, Protocol } from '../../src/protocol';
import { MemoryReactor } from '../../src/testing/memory-reactor';
import { useReactor, within } from '../tcp/harness';

// Building an endpoint does not touch the reactor, as in Twisted's tests.
const reactor = {} as IReactorTCP & IReactorUNIX;

function refused(fn: () => unknown): EndpointParseError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EndpointParseError);
    return err as EndpointParseError;
  }
  throw new Error('expected an EndpointParseError');
}

describe('unix: description strings', () => {
  it.each([
    ['unix:/run/app.sock', { path: '/run/app.sock', timeout: 30, checkPID: false }],
    ['unix:path=/run/app.sock:timeout=5:lockfile=1', { path: '/run/app.sock', timeout: 5, checkPID: true }],
    ['UNIX:/tmp/a\\:b.sock:lockfile=0', { path: '/tmp/a:b.sock', timeout: 30, checkPID: false }],
    ['unix:./@app', { path: './@app', timeout: 30, checkPID: false }],
  ])('client %s', (description, fields) => {
    const ep = clientFromString(reactor, description);
    expect(ep).toBeInstanceOf(UNIXClientEndpoint);
    expect(ep).toMatchObject({ reactor, ...fields });
  });

  it.each([
    ['unix:/run/app.sock', { address: '/run/app.sock', mode: 0o666, backlog: 50, wantPID: true }],
    ['unix:/run/app.sock:mode=660:backlog=7:lockfile=0', { address: '/run/app.sock', mode: 0o660, backlog: 7, wantPID: false }],
    ['unix:/run/app.sock:600:3:1', { address: '/run/app.sock', mode: 0o600, backlog: 3, wantPID: true }],
    ['unix:address=/run/x.sock', { address: '/run/x.sock', mode: 0o666, backlog: 50, wantPID: true }],
  ])('server %s', (description, fields) => {
    const ep = serverFromString(reactor, description);
    expect(ep).toBeInstanceOf(UNIXServerEndpoint);
    expect(ep).toMatchObject({ reactor, ...fields });
  });

  it('a leading @ names an abstract socket, which needs the native addon', () => {
    if (process.platform !== 'linux') return;
    expect(() => clientFromString(reactor, 'unix:@app')).toThrow(NativeAddonUnavailableError);
    expect(() => serverFromString(reactor, 'unix:@app:lockfile=1')).toThrow(NativeAddonUnavailableError);
  });

  it.each([
    ['client', 'unix:', 'ERR_ENDPOINT_BAD_VALUE', 'path'],
    ['client', 'unix:timeout=3', 'ERR_ENDPOINT_MISSING_FIELD', 'path'],
    ['client', 'unix:/a:/b', 'ERR_ENDPOINT_TOO_MANY_FIELDS', undefined],
    ['client', 'unix:/a:timeout=soon', 'ERR_ENDPOINT_BAD_VALUE', 'timeout'],
    ['client', 'unix:/a:lockfile=yes', 'ERR_ENDPOINT_BAD_VALUE', 'lockfile'],
    ['client', 'unix:/a:checkPID=1', 'ERR_ENDPOINT_UNKNOWN_FIELD', 'checkPID'],
    ['client', 'unix:path=', 'ERR_ENDPOINT_BAD_VALUE', 'path'],
    ['server', 'unix:mode=660', 'ERR_ENDPOINT_MISSING_FIELD', 'address'],
    ['server', 'unix:/a:mode=rw', 'ERR_ENDPOINT_BAD_VALUE', 'mode'],
    ['server', 'unix:/a:mode=999', 'ERR_ENDPOINT_BAD_VALUE', 'mode'],
    ['server', 'unix:/a:backlog=-1', 'ERR_ENDPOINT_BAD_VALUE', 'backlog'],
    ['server', 'unix:/a:1:2:3:4', 'ERR_ENDPOINT_TOO_MANY_FIELDS', undefined],
    ['server', 'unix:/a:path=/b', 'ERR_ENDPOINT_UNKNOWN_FIELD', 'path'],
  ])('%s %s is refused with a clear EndpointParseError', (side, description, code, field) => {
    const err = refused(() =>
      side === 'client' ? clientFromString(reactor, description) : serverFromString(reactor, description),
    );
    expect(err.code).toBe(code);
    expect(err.description).toBe(description);
    if (field !== undefined) expect(err.field).toBe(field);
  });

  it('an over-long client path is a RangeError at parse time', () => {
    expect(() => clientFromString(reactor, `unix:/${'a'.repeat(120)}`)).toThrow(RangeError);
  });
});

describe('UNIXClientEndpoint / UNIXServerEndpoint arguments', () => {
  it.each([
    ['path', () => new UNIXClientEndpoint(reactor, 7 as never), TypeError],
    ['path', () => new UNIXClientEndpoint(reactor, ''), RangeError],
    ['timeout', () => new UNIXClientEndpoint(reactor, '/a', { timeout: -1 }), RangeError],
    ['checkPID', () => new UNIXClientEndpoint(reactor, '/a', { checkPID: 'no' as never }), TypeError],
    ['reactor', () => new UNIXClientEndpoint(null as never, '/a'), TypeError],
    ['address', () => new UNIXServerEndpoint(reactor, null as never), TypeError],
    ['mode', () => new UNIXServerEndpoint(reactor, '/a', { mode: -1 }), RangeError],
    ['backlog', () => new UNIXServerEndpoint(reactor, '/a', { backlog: 'x' as never }), TypeError],
    ['wantPID', () => new UNIXServerEndpoint(reactor, '/a', { wantPID: 0 as never }), TypeError],
  ])('refuse a bad %s', (name, make, cls) => {
    expect(make).toThrow(cls);
    expect(make).toThrow(expect.objectContaining({ message: expect.stringContaining(name) }));
  });

  it('hand their settings to the reactor (MemoryReactor records them)', () => {
    const r = new MemoryReactor();
    void new UNIXServerEndpoint(r, '/run/a.sock', { mode: 0o600, backlog: 5, wantPID: true }).listen(
      Factory.forProtocol(Protocol),
    );
    void new UNIXClientEndpoint(r, '/run/a.sock', { timeout: 3, checkPID: true }).connect(Factory.forProtocol(Protocol));
    expect(r.unixServers).toEqual([expect.objectContaining({ address: '/run/a.sock', mode: 0o600, backlog: 5, wantPID: true })]);
    expect(r.unixClients).toEqual([expect.objectContaining({ address: '/run/a.sock', timeout: 3, checkPID: true })]);
  });
});

describe('UNIX endpoints on real sockets (integration)', () => {
  const h = useReactor();
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torsion-unix-ep-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  class Echo extends Protocol {
    override dataReceived(data: Buffer): void {
      this.transport?.write(data);
    }
  }
  class Hello extends Protocol {
    got = Buffer.alloc(0);
    override connectionMade(): void {
      this.transport?.write(Buffer.from('hello'));
    }
    override dataReceived(data: Buffer): void {
      this.got = Buffer.concat([this.got, data]);
    }
  }

  it('serverFromString + clientFromString: listen with a lock, connect with checkPID, echo', async () => {
    const file = path.join(dir, 'e.sock');
    const port = await within(serverFromString(h.r, `unix:${file}:mode=600`).listen(Factory.forProtocol(Echo)), 5000, 'listen');
    expect(port.getHost()).toEqual(new UNIXAddress(file));
    expect(fs.readlinkSync(`${file}.lock`)).toBe(String(process.pid));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const proto = (await within(
      clientFromString(h.r, `unix:path=${file}:lockfile=1`).connect(Factory.forProtocol(Hello)),
      5000,
      'connect',
    )) as Hello;
    for (let i = 0; i < 1000 && proto.got.length < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(proto.got.toString()).toBe('hello');
    proto.transport?.loseConnection();
    await within(port.stopListening(), 5000, 'stopListening');
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });

  it('connect fails with the connect error; listen fails with CannotListenError', async () => {
    const file = path.join(dir, 'none.sock');
    const failure = await within(
      new UNIXClientEndpoint(h.r, file).connect(Factory.forProtocol(Protocol)).then(
        () => null,
        (err: unknown) => err,
      ),
      5000,
      'connect failure',
    );
    expect(failure).toBeInstanceOf(ConnectError);
    const listenFailure = await within(
      new UNIXServerEndpoint(h.r, path.join(dir, 'missing', 'x.sock')).listen(Factory.forProtocol(Protocol)).then(
        () => null,
        (err: unknown) => err,
      ),
      5000,
      'listen failure',
    );
    expect(listenFailure).toBeInstanceOf(CannotListenError);
  });
});
