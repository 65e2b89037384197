/**
 * W7: TLS over 127.0.0.1, torsion (listenSSL/connectSSL) against the plain
 * node:tls code a user would write (tls.createServer / tls.connect):
 * - bulk: client to server, 64 KiB writes, TLS 1.3, MB/s from the first
 *   write to the last byte received (writers respect backpressure);
 * - handshakes/s: TLS_HANDSHAKES full handshakes, 50 at a time, each
 *   connection closed once the handshake is done;
 * - ping-pong: one connection, a 64-byte message echoed back, round trips/s.
 * Each row also per CPU-second. Certificates are made with `openssl`.
 *
 * Sizes: TLS_BULK_MB (default 128), TLS_HANDSHAKES (default 500),
 * TLS_PINGPONGS (default 5000), TLS_ROUNDS (default 3).
 *
 * Run: `npx tsx bench/tls.ts`
 * @internal
 */
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import type { IPushProducer } from '../src/interfaces/producer';
import { ClientFactory, Factory } from '../src/protocol/factory';
import { Protocol } from '../src/protocol/protocol';
import type { Reactor } from '../src/reactor';
import { Certificate, CertificateOptions, optionsForClientTLS, trustRootFromCertificates } from '../src/ssl';
import { makeTestCerts } from '../spec/tls/certs';
import { type Row, alternate, cpuSeconds, envInt, median, nowMs, portOf, progress, report, withReactor } from './common';

const CHUNK = Buffer.alloc(64 * 1024, 0x62);
const MSG = Buffer.alloc(64, 0x70);
const CONCURRENCY = 50;

interface Rate {
  wall: number;
  cpu: number;
}
function measure(): () => Rate {
  const t0 = nowMs();
  const c0 = cpuSeconds();
  return () => ({ wall: (nowMs() - t0) / 1000, cpu: cpuSeconds() - c0 });
}

const certs = makeTestCerts();
const serverCtx = { cert: certs.serverCert, key: certs.serverKey, minVersion: 'TLSv1.3' as const };
const clientCtx = { ca: [certs.caCert], servername: 'localhost', minVersion: 'TLSv1.3' as const };
const serverOptions = new CertificateOptions({
  certificate: certs.serverCert,
  privateKey: certs.serverKey,
  raiseMinimumTo: 'TLSv1.3',
});
const clientOptions = optionsForClientTLS('localhost', {
  trustRoot: trustRootFromCertificates([Certificate.loadPEM(certs.caCert)]),
  extraCertificateOptions: { raiseMinimumTo: 'TLSv1.3' },
});
// One secure context on the raw side too, as a user would reuse it.
const rawClientContext = tls.createSecureContext(clientCtx);

function rawServer(onSocket: (s: tls.TLSSocket) => void): Promise<{ server: tls.Server; port: number }> {
  const server = tls.createServer(serverCtx, onSocket);
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, port: (server.address() as AddressInfo).port })));
}
function rawConnect(port: number, onSecure: (s: tls.TLSSocket) => void): tls.TLSSocket {
  const s = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', secureContext: rawClientContext }, () => onSecure(s));
  return s;
}

// ---- bulk ---------------------------------------------------------------------------

async function rawBulk(total: number): Promise<Rate> {
  let got = 0;
  let stop!: () => Rate;
  const done = new Promise<Rate>((resolve) => {
    void rawServer((s) => {
      s.on('data', (d: Buffer) => {
        got += d.length;
        if (got === total) resolve(stop());
      });
    }).then(({ server, port }) => {
      const c = rawConnect(port, () => {
        stop = measure();
        let sent = 0;
        const write = (): void => {
          while (sent < total) {
            sent += CHUNK.length;
            if (!c.write(CHUNK)) {
              c.once('drain', write);
              return;
            }
          }
          c.end();
        };
        write();
      });
      void done.then(() => {
        c.destroy();
        server.close();
      });
    });
  });
  return done;
}

class BulkSender extends Protocol implements IPushProducer {
  total = 0;
  stop: (() => Rate) | null = null;
  #sent = 0;
  #paused = false;
  handshakeCompleted(): void {
    this.transport!.registerProducer(this, true);
    this.stop = measure();
    this.resumeProducing();
  }
  pauseProducing(): void {
    this.#paused = true;
  }
  resumeProducing(): void {
    this.#paused = false;
    const t = this.transport!;
    while (!this.#paused && this.#sent < this.total) {
      this.#sent += CHUNK.length;
      t.write(CHUNK);
    }
    if (this.#sent >= this.total && !t.disconnecting) {
      t.unregisterProducer();
      t.loseConnection();
    }
  }
  stopProducing(): void {
    this.#paused = true;
  }
}

async function torsionBulk(total: number): Promise<Rate> {
  return withReactor(async (reactor: Reactor) => {
    let sender!: BulkSender;
    let resolve!: (r: Rate) => void;
    const done = new Promise<Rate>((r) => (resolve = r));
    let got = 0;
    class Sink extends Protocol {
      override dataReceived(d: Buffer): void {
        got += d.length;
        if (got === total) resolve((sender.stop as () => Rate)());
      }
    }
    const port = reactor.listenSSL(0, Factory.forProtocol(Sink), serverOptions, { interface: '127.0.0.1' });
    const f = new ClientFactory();
    f.buildProtocol = () => {
      sender = new BulkSender();
      sender.total = total;
      return sender;
    };
    reactor.connectSSL('127.0.0.1', portOf(port), f, clientOptions);
    const r = await done;
    await port.stopListening();
    return r;
  });
}

// ---- handshakes ---------------------------------------------------------------------

async function rawHandshakes(n: number): Promise<Rate> {
  const { server, port } = await rawServer((s) => s.on('error', () => {}));
  const stop = measure();
  let started = 0;
  let finished = 0;
  await new Promise<void>((resolve) => {
    const one = (): void => {
      started++;
      const c = rawConnect(port, () => c.end());
      c.on('close', () => {
        if (++finished === n) resolve();
        else if (started < n) one();
      });
      c.on('error', () => {});
    };
    for (let i = 0; i < Math.min(CONCURRENCY, n); i++) one();
  });
  const r = stop();
  server.close();
  return r;
}

async function torsionHandshakes(n: number): Promise<Rate> {
  return withReactor(async (reactor: Reactor) => {
    const port = reactor.listenSSL(0, Factory.forProtocol(Protocol), serverOptions, { interface: '127.0.0.1' });
    const stop = measure();
    let started = 0;
    let finished = 0;
    await new Promise<void>((resolve) => {
      class Quick extends Protocol {
        handshakeCompleted(): void {
          this.transport!.loseConnection();
        }
      }
      const f = new (class extends ClientFactory {
        override protocol = Quick;
        override clientConnectionLost(): void {
          if (++finished === n) resolve();
          else if (started < n) one();
        }
        override clientConnectionFailed(): void {
          this.clientConnectionLost();
        }
      })();
      const one = (): void => {
        started++;
        reactor.connectSSL('127.0.0.1', portOf(port), f, clientOptions);
      };
      for (let i = 0; i < Math.min(CONCURRENCY, n); i++) one();
    });
    const r = stop();
    await port.stopListening();
    return r;
  });
}

// ---- ping-pong ----------------------------------------------------------------------

async function rawPingPong(n: number): Promise<Rate> {
  const { server, port } = await rawServer((s) => s.on('data', (d: Buffer) => s.write(d)));
  let stop!: () => Rate;
  const r = await new Promise<Rate>((resolve) => {
    let left = n;
    let got = 0;
    const c = rawConnect(port, () => {
      stop = measure();
      c.write(MSG);
    });
    c.on('data', (d: Buffer) => {
      got += d.length;
      if (got < MSG.length) return;
      got -= MSG.length;
      if (--left === 0) {
        const rate = stop();
        c.destroy();
        resolve(rate);
      } else c.write(MSG);
    });
  });
  server.close();
  return r;
}

async function torsionPingPong(n: number): Promise<Rate> {
  return withReactor(async (reactor: Reactor) => {
    class Echo extends Protocol {
      override dataReceived(d: Buffer): void {
        this.transport!.write(d);
      }
    }
    const port = reactor.listenSSL(0, Factory.forProtocol(Echo), serverOptions, { interface: '127.0.0.1' });
    const r = await new Promise<Rate>((resolve) => {
      class Pinger extends Protocol {
        #left = n;
        #got = 0;
        #stop!: () => Rate;
        handshakeCompleted(): void {
          this.#stop = measure();
          this.transport!.write(MSG);
        }
        override dataReceived(d: Buffer): void {
          this.#got += d.length;
          if (this.#got < MSG.length) return;
          this.#got -= MSG.length;
          if (--this.#left === 0) {
            resolve(this.#stop());
            this.transport!.loseConnection();
          } else this.transport!.write(MSG);
        }
      }
      const f = new ClientFactory();
      f.protocol = Pinger;
      reactor.connectSSL('127.0.0.1', portOf(port), f, clientOptions);
    });
    await port.stopListening();
    return r;
  });
}

async function main(): Promise<void> {
  const rounds = envInt('TLS_ROUNDS', 3);
  const bulk = envInt('TLS_BULK_MB', 128) * 2 ** 20;
  const hs = envInt('TLS_HANDSHAKES', 500);
  const pp = envInt('TLS_PINGPONGS', 5000);
  const rows: Row[] = [];
  const add = (name: string, unit: string, amount: number, res: Record<'raw' | 'torsion', Rate[]>): void => {
    const wall = (side: 'raw' | 'torsion'): number => median(res[side].map((r) => amount / r.wall));
    const cpu = (side: 'raw' | 'torsion'): number => median(res[side].map((r) => amount / r.cpu));
    rows.push({ name, unit, raw: wall('raw'), torsion: wall('torsion'), better: 'higher', target: 1.0 });
    rows.push({
      name: `${name}, per CPU-s`,
      unit: `${unit.split('/')[0]}/CPU-s`,
      raw: cpu('raw'),
      torsion: cpu('torsion'),
      better: 'higher',
      target: 1.0,
    });
  };
  const log = (label: string) => (side: string, i: number, r: Rate) =>
    progress(`${label} round ${i} ${side}: ${r.wall.toFixed(3)} s`);
  add(
    'W7 TLS 1.3 bulk, 64 KiB writes',
    'MB/s',
    bulk / 2 ** 20,
    await alternate(
      rounds,
      { raw: (w) => rawBulk(w ? bulk / 8 : bulk), torsion: (w) => torsionBulk(w ? bulk / 8 : bulk) },
      { onRound: log('bulk') },
    ),
  );
  add(
    `W7 TLS handshakes, ${CONCURRENCY} concurrent`,
    'hs/s',
    hs,
    await alternate(
      rounds,
      { raw: (w) => rawHandshakes(w ? 50 : hs), torsion: (w) => torsionHandshakes(w ? 50 : hs) },
      { onRound: log('handshakes') },
    ),
  );
  add(
    'W7 TLS ping-pong, 64 B, 1 conn',
    'rt/s',
    pp,
    await alternate(
      rounds,
      { raw: (w) => rawPingPong(w ? 100 : pp), torsion: (w) => torsionPingPong(w ? 100 : pp) },
      { onRound: log('ping-pong') },
    ),
  );
  report('tls', rows, ['TLS 1.3, P-256 certificates; client and server in the same process']);
}

if (require.main === module) {
  main().then(
    () => {
      certs.cleanup();
      process.exit(0);
    },
    (e: unknown) => {
      console.error(e);
      certs.cleanup();
      process.exit(1);
    },
  );
}
