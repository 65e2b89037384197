/**
 * StandardIO from the outside: a node child runs a protocol on its own
 * stdio (spec/process/fixtures/stdio-child.ts), driven by spawnProcess.
 */
import * as path from 'node:path';
import { ProcessDone } from '../../src/errors';
import { Protocol } from '../../src/protocol';
import type { Reactor } from '../../src/reactor';
import { StandardIO } from '../../src/stdio';
import { Recorder, startReactor } from './helpers';

const ROOT = path.resolve(__dirname, '../..');
const CHILD = path.join(__dirname, 'fixtures', 'stdio-child.ts');

let reactor: Reactor;
let stop: () => Promise<void>;
beforeEach(() => {
  ({ reactor, stop } = startReactor());
});
afterEach(() => stop());

function child(mode: string): Recorder {
  const p = new Recorder();
  reactor.spawnProcess(p, process.execPath, ['node', '--require', 'tsx/cjs', CHILD, mode], { env: null, path: ROOT });
  return p;
}

describe('StandardIO: bad arguments', () => {
  it('refuses a protocol without makeConnection and bad fds with typed errors, before touching stdio', () => {
    expect(() => new StandardIO(null as never)).toThrow(TypeError);
    expect(() => new StandardIO({} as never)).toThrow(TypeError);
    expect(() => new StandardIO(new Protocol(), { stdin: -1 })).toThrow(RangeError);
    expect(() => new StandardIO(new Protocol(), { stdout: 'x' as never })).toThrow(TypeError);
    expect(() => new StandardIO(new Protocol(), null as never)).toThrow(TypeError);
  });
});

describe('StandardIO in a child process', () => {
  it('hands stdin to dataReceived and writes to stdout; stdin EOF ends a plain protocol with ConnectionDone', async () => {
    const p = child('upper');
    p.process.write(Buffer.from('hello '));
    p.process.write(Buffer.from('world\n'));
    await p.waitFor(1, 12);
    expect(p.received(1).toString()).toBe('HELLO WORLD\n');
    p.process.closeStdin();
    const reason = await p.ended;
    expect(p.received(2).toString()).toBe('made\nlost:ConnectionDone\n');
    expect(reason.value).toBeInstanceOf(ProcessDone);
  });

  it('gives a half-closeable protocol readConnectionLost, and it can still write, then writeConnectionLost', async () => {
    const p = child('half');
    p.process.write(Buffer.from('abc'));
    await p.waitFor(1, 3);
    p.process.closeStdin();
    await p.ended;
    expect(p.received(1).toString()).toBe('ABCbye\n');
    expect(p.received(2).toString()).toBe('made\nread-lost\nwrite-lost\nlost:ConnectionDone\n');
  });

  it('sends everything written before loseConnection (5 MB), then connectionLost', async () => {
    const p = child('big');
    await p.ended;
    expect(p.received(1).length).toBe(80 * 64 * 1024);
    expect(p.received(2).toString()).toBe('made\nlost:ConnectionDone\n');
  });

  it("the reactor's shutdown ends the connection with ConnectionLost", async () => {
    const p = child('stop');
    await p.ended;
    expect(p.received(2).toString()).toBe('made\nlost:ConnectionLost\n');
  });

  it("the 'stdio:' server string gives a StandardIOEndpoint on the child's stdio", async () => {
    const p = child('endpoint');
    p.process.write(Buffer.from('via endpoint'));
    await p.waitFor(1, 12);
    p.process.closeStdin();
    await p.ended;
    expect(p.received(1).toString()).toBe('VIA ENDPOINT');
    expect(p.received(2).toString()).toBe('made\nlost:ConnectionDone\n');
  });
});
