/**
 * examples/kv-twisted.ts: the key/value protocol on StringTransports, the
 * example's main() on a real Reactor, and the example run as a program.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { answer, KVClientProtocol, KVServerFactory, main } from '../../examples/kv-twisted';
import { Failure } from '../../src/defer/failure';
import { StringTransport } from '../../src/testing';
import { startReactor } from './helpers';

const ROOT = path.join(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

/** What every kv example prints, whatever its style. */
const KV_TRANSCRIPT = [
  '> SET greeting hello',
  '< OK',
  '> GET greeting',
  '< VALUE hello',
  '> GET missing',
  '< MISSING',
  '> DEL greeting',
  '< OK',
  '> GET greeting',
  '< MISSING',
];

describe('the key/value protocol', () => {
  it('answers each command, and anything else with an error', () => {
    const store = new Map<string, string>();
    expect(answer(store, 'SET a one two')).toBe('OK');
    expect(answer(store, 'GET a')).toBe('VALUE one two');
    expect(answer(store, 'DEL a')).toBe('OK');
    expect(answer(store, 'DEL a')).toBe('MISSING');
    expect(answer(store, 'GET a')).toBe('MISSING');
    expect(answer(store, 'PUT a')).toBe('ERROR unknown command');
    expect(answer(store, 'SET a')).toBe('ERROR unknown command');
  });

  it('the server answers CRLF lines on a StringTransport, even split mid-line', () => {
    const proto = new KVServerFactory().buildProtocol();
    const tr = new StringTransport();
    proto.makeConnection(tr);
    proto.dataReceived(Buffer.from('SET k v\r\nGE'));
    proto.dataReceived(Buffer.from('T k\r\n'));
    expect(tr.value().toString()).toBe('OK\r\nVALUE v\r\n');
  });

  it('the client matches replies to requests in order and fails the waiting ones on a loss', async () => {
    const proto = new KVClientProtocol();
    const tr = new StringTransport();
    proto.makeConnection(tr);
    const first = proto.request('GET a');
    const second = proto.request('GET b');
    expect(tr.value().toString()).toBe('GET a\r\nGET b\r\n');
    proto.dataReceived(Buffer.from('MISSING\r\n'));
    await expect(first).resolves.toBe('MISSING');
    tr.loseConnection();
    proto.connectionLost(new Failure(new Error('gone')));
    await expect(second).rejects.toThrow('gone');
  });
});

describe('examples/kv-twisted.ts', () => {
  it('main() prints the transcript on a real Reactor', async () => {
    const { reactor, stop } = startReactor();
    const out: string[] = [];
    try {
      await main(reactor, (line) => out.push(line));
    } finally {
      await stop();
    }
    expect(out).toEqual(KV_TRANSCRIPT);
  });

  it('runs as a program and exits 0', async () => {
    const { stdout } = await promisify(execFile)(TSX, [path.join(ROOT, 'examples', 'kv-twisted.ts')], {
      cwd: ROOT,
      timeout: 30_000,
    });
    expect(stdout.trim().split('\n')).toEqual(KV_TRANSCRIPT);
  });
});
