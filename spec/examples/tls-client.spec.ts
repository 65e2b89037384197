import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { main } from '../../examples/tls-client';
import { startReactor } from './helpers';

describe('examples/tls-client', () => {
  let env: ReturnType<typeof startReactor>;
  beforeEach(() => {
    env = startReactor();
  });
  afterEach(async () => {
    await env.stop();
  });

  it('fetches from its own TLS server over verified TLS 1.3 with ALPN http/1.1 and prints the response', async () => {
    const out: string[] = [];
    const response = await new Promise<string>((resolve, reject) => {
      main(env.reactor, { print: (l) => out.push(l) }).addCallbacks(
        (r: string) => {
          resolve(r);
          return undefined;
        },
        (f) => {
          reject(f.value);
          return undefined;
        },
      );
    });
    expect(response).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(out).toEqual(['TLS up: TLSv1.3, ALPN http/1.1, server localhost', 'HTTP/1.1 200 OK', 'hello over TLSv1.3']);
  });

  it('runs as a program (react) and exits 0', () => {
    const root = path.resolve(__dirname, '..', '..');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/tls-client.ts'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60000,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      'TLS up: TLSv1.3, ALPN http/1.1, server localhost',
      'HTTP/1.1 200 OK',
      'hello over TLSv1.3',
    ]);
    expect(r.status).toBe(0);
  });
});
