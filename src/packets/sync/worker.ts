/**
 * The worker side of a blocking packet client: a private torsion `Reactor`
 * on a `worker_threads` thread owns the socket and relays bytes to and from
 * the calling thread over a `MessagePort`, bumping the control word
 * `W_SEQ` (and `Atomics.notify`-ing it) after every message it posts, so
 * that the calling thread, blocked in `Atomics.wait`, wakes up.
 *
 * The worker never runs user code: serializers stay on the calling thread.
 * It is started by `worker-entry` with `eval: true` code that requires this
 * file (the compiled `.js`, or the `.ts` source through tsx's loader).
 * @internal
 * @module
 */
import type { MessagePort } from 'node:worker_threads';

import type { IPv4Address, IPv6Address } from '../../address';
import { IPv6Address as IPv6 } from '../../address';
import type { Failure } from '../../defer/failure';
import type { IConnector } from '../../interfaces/connector';
import type { IPushProducer } from '../../interfaces/producer';
import { ClientFactory, DatagramProtocol, Protocol } from '../../protocol';
import { Reactor } from '../../reactor/reactor';
import {
  type AddressRecord,
  type FromWorker,
  HEARTBEAT_MS,
  READ_HIGH_WATER,
  READ_LOW_WATER,
  STATE_DEAD,
  STATE_RUNNING,
  type ToWorker,
  toRecord,
  W_HEARTBEAT,
  W_PENDING_WRITE,
  W_READ_PAUSED,
  W_SEQ,
  W_STATE,
  W_UNREAD,
  W_WRITE_PAUSED,
  WRITE_HIGH_WATER,
  type WorkerInit,
} from './shared';

function addressRecord(a: IPv4Address | IPv6Address, type: 'TCP' | 'UDP'): AddressRecord {
  return { type, host: a.host, port: a.port, family: a instanceof IPv6 ? 'IPv6' : 'IPv4' };
}

/** A copy of `chunk` that owns its whole ArrayBuffer, so posting it can transfer instead of cloning a pool. */
function ownCopy(chunk: Uint8Array): Uint8Array {
  return new Uint8Array(chunk);
}

/** The socket's descriptor, when the transport has one. */
function fdOf(t: object): number {
  const f = (t as { fileno?: () => number }).fileno;
  try {
    return typeof f === 'function' ? f.call(t) : -1;
  } catch {
    return -1;
  }
}

/**
 * A UDP port's descriptor: torsion's Port says -1 (dgram hides it); the
 * handle in dgram's state record knows it (read through the state symbol,
 * since the `_handle` getter is deprecated and warns).
 */
function udpFd(port: object): number {
  const sock = (port as { _socket?: object | null })._socket;
  if (sock !== null && sock !== undefined) {
    const sym = Object.getOwnPropertySymbols(sock).find((s) => s.description === 'state symbol');
    const fd = sym === undefined ? undefined : (sock as Record<symbol, { handle?: { fd?: unknown } }>)[sym]?.handle?.fd;
    if (typeof fd === 'number' && fd >= 0) return fd;
  }
  return fdOf(port);
}

/** Run one client's worker until it is closed. */
export function main(init: WorkerInit): void {
  const i32 = new Int32Array(init.sab);
  const port: MessagePort = init.port;
  const reactor = new Reactor();
  let finished = false;

  const post = (msg: FromWorker, transfer?: ArrayBuffer[]): void => {
    port.postMessage(msg, transfer);
    Atomics.add(i32, W_SEQ, 1);
    Atomics.notify(i32, W_SEQ);
  };
  const wake = (): void => {
    Atomics.add(i32, W_SEQ, 1);
    Atomics.notify(i32, W_SEQ);
  };
  const die = (err: unknown): void => {
    if (finished) return;
    finished = true;
    try {
      post({ t: 'fatal', err: toRecord(err) });
    } catch {
      // the port may be gone already; the state word still tells
    }
    Atomics.store(i32, W_STATE, STATE_DEAD);
    wake();
  };
  process.on('uncaughtException', (err) => {
    die(err);
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    die(err);
    process.exit(1);
  });
  process.on('exit', () => die(new Error('The worker thread exited')));

  const heartbeat = setInterval(() => Atomics.add(i32, W_HEARTBEAT, 1), HEARTBEAT_MS);
  const finish = (): void => {
    if (finished) return;
    post({ t: 'closed' });
    finished = true;
    clearInterval(heartbeat);
    port.close();
    if (reactor.running) reactor.stop();
  };

  /** The transport's side: writes, EOF, close; set once connected. */
  let handlers: {
    write(d: Uint8Array): void;
    eof(): void;
    close(): void;
    abort(): void;
    resume(): void;
  } | null = null;
  let closeRequested = false;

  port.on('message', (msg: ToWorker) => {
    switch (msg.t) {
      case 'write': {
        const n = msg.d.byteLength;
        handlers?.write(msg.d);
        const before = Atomics.sub(i32, W_PENDING_WRITE, n);
        if (before > WRITE_HIGH_WATER && before - n <= WRITE_HIGH_WATER) wake();
        break;
      }
      case 'eof':
        handlers?.eof();
        break;
      case 'resume':
        handlers?.resume();
        break;
      case 'abort':
        closeRequested = true;
        if (handlers === null) finish();
        else handlers.abort();
        break;
      case 'close':
        closeRequested = true;
        if (handlers === null) finish();
        else handlers.close();
        break;
      case 'crash':
        // For the specs: an uncaught exception in the worker, as a bug would raise.
        setImmediate(() => {
          throw new Error('worker crash requested by the test hook');
        });
        break;
    }
  });

  /** Account `n` undrained bytes; stop reading above the high-water mark. */
  const accountRead = (n: number, pause: () => void): void => {
    const unread = Atomics.add(i32, W_UNREAD, n) + n;
    if (unread > READ_HIGH_WATER && Atomics.load(i32, W_READ_PAUSED) === 0) {
      Atomics.store(i32, W_READ_PAUSED, 1);
      // The calling thread may have drained everything between the add and the store.
      if (Atomics.load(i32, W_UNREAD) < READ_LOW_WATER && Atomics.compareExchange(i32, W_READ_PAUSED, 1, 0) === 1) return;
      pause();
    }
  };

  reactor.callWhenRunning(() => {
    Atomics.store(i32, W_STATE, STATE_RUNNING);
    if (init.kind === 'tcp') startTCP();
    else startUDP();
  });
  reactor.run({ installSignalHandlers: false }).catch(die);

  function startTCP(): void {
    let connected = false;
    let shutdownTimer: { cancel(): void; active(): boolean } | null = null;

    class Relay extends Protocol implements IPushProducer {
      override connectionMade(): void {
        const t = this.transport!;
        try {
          t.setTcpNoDelay(true);
          t.setTcpKeepAlive(true);
        } catch {
          // not every transport (TLS over a wrapper) exposes the socket options
        }
        t.registerProducer(this, true);
        handlers = {
          write: (d) => t.write(Buffer.from(d.buffer, d.byteOffset, d.byteLength)),
          eof: () => t.loseWriteConnection(),
          close: () => {
            if (init.ssl !== null && !init.sslStandardCompatible) {
              t.abortConnection();
              return;
            }
            t.loseConnection();
            if (init.ssl !== null && init.sslShutdownTimeout !== null) {
              shutdownTimer = reactor.callLater(init.sslShutdownTimeout, () => t.abortConnection());
            }
          },
          abort: () => t.abortConnection(),
          resume: () => t.resumeProducing(),
        };
        if (init.ssl === null) this.#reportConnected();
      }
      handshakeCompleted(): void {
        this.#reportConnected();
      }
      #reportConnected(): void {
        if (connected) return;
        connected = true;
        const t = this.transport!;
        post({
          t: 'connected',
          local: addressRecord(t.getHost() as IPv4Address | IPv6Address, 'TCP'),
          remote: addressRecord(t.getPeer() as IPv4Address | IPv6Address, 'TCP'),
          fd: fdOf(t),
        });
        if (closeRequested) handlers?.close();
      }
      override dataReceived(data: Buffer): void {
        const copy = ownCopy(data);
        post({ t: 'data', d: copy }, [copy.buffer as ArrayBuffer]);
        accountRead(copy.byteLength, () => this.transport!.pauseProducing());
      }
      override connectionLost(reason: Failure): void {
        if (shutdownTimer?.active()) shutdownTimer.cancel();
        handlers = null;
        if (!connected) {
          // A TLS handshake that failed: the connect failed.
          post({ t: 'connectFailed', err: toRecord(reason.value) });
        } else if (!closeRequested) {
          const v = reason.value as Error;
          post({ t: 'lost', clean: v?.name === 'ConnectionDone', err: toRecord(v) });
        }
        finish();
      }
      /** {@inheritDoc torsion/interfaces!IPushProducer.pauseProducing} */
      pauseProducing(): void {
        Atomics.store(i32, W_WRITE_PAUSED, 1);
      }
      /** {@inheritDoc torsion/interfaces!IPushProducer.resumeProducing} */
      resumeProducing(): void {
        Atomics.store(i32, W_WRITE_PAUSED, 0);
        wake();
      }
      /** {@inheritDoc torsion/interfaces!IProducer.stopProducing} */
      stopProducing(): void {}
    }

    class RelayFactory extends ClientFactory {
      override buildProtocol(): Protocol {
        return new Relay();
      }
      override clientConnectionFailed(_c: IConnector, reason: Failure): void {
        post({ t: 'connectFailed', err: toRecord(reason.value) });
        finish();
      }
    }

    const factory = new RelayFactory();
    const opts = {
      timeout: init.connectTimeout,
      bindAddress: init.localAddress === null ? null : ([init.localAddress[0], init.localAddress[1]] as [string, number]),
    };
    if (init.ssl === null) {
      reactor.connectTCP(init.host, init.portNumber, factory, opts);
    } else {
      // Loaded only for TLS clients: keeps the plain worker's start-up small.
      const ssl = require('../../ssl') as typeof import('../../ssl');
      const tlsInit: import('../../ssl').ClientTLSOptionsInit = { handshakeTimeout: init.ssl.handshakeTimeout };
      if (init.ssl.caCertificates !== null) {
        tlsInit.trustRoot = ssl.trustRootFromCertificates(init.ssl.caCertificates.map((pem) => ssl.Certificate.loadPEM(pem)));
      }
      reactor.connectSSL(init.host, init.portNumber, factory, ssl.optionsForClientTLS(init.ssl.serverHostname, tlsInit), opts);
    }
  }

  function startUDP(): void {
    const family = init.family ?? (init.host.includes(':') ? 'IPv6' : 'IPv4');
    class Relay extends DatagramProtocol {
      override datagramReceived(data: Buffer, addr: IPv4Address | IPv6Address): void {
        const copy = ownCopy(data);
        post({ t: 'datagram', d: copy, from: addressRecord(addr, 'UDP') }, [copy.buffer as ArrayBuffer]);
        accountRead(copy.byteLength, () => (this.transport as { stopReading?: () => void } | null)?.stopReading?.());
      }
      override connectionRefused(): void {
        post({ t: 'refused' });
      }
    }
    const proto = new Relay();
    const fail = (err: unknown): void => {
      post({ t: 'connectFailed', err: toRecord(err) });
      finish();
    };
    const connectTo = (host: string): void => {
      let udp: ReturnType<Reactor['listenUDP']>;
      try {
        const iface = init.localAddress?.[0] ?? (family === 'IPv6' ? '::' : '');
        udp = reactor.listenUDP(init.localAddress?.[1] ?? 0, proto, { interface: iface, maxPacketSize: 65536 });
        udp.connect(host, init.portNumber);
      } catch (err) {
        fail(err);
        return;
      }
      handlers = {
        write: (d) => udp.write(Buffer.from(d.buffer, d.byteOffset, d.byteLength)),
        eof: () => {},
        close: () => {
          handlers = null;
          const d = udp.stopListening();
          d.addBoth(() => finish());
        },
        abort: () => handlers?.close(),
        resume: () => udp.startReading(),
      };
      post({
        t: 'connected',
        local: addressRecord(udp.getHost(), 'UDP'),
        remote: { type: 'UDP', host, port: init.portNumber, family: host.includes(':') ? 'IPv6' : 'IPv4' },
        fd: udpFd(udp),
      });
      if (closeRequested) handlers.close();
    };
    const net = require('node:net') as typeof import('node:net');
    if (net.isIP(init.host) !== 0) {
      connectTo(init.host);
      return;
    }
    const dns = require('node:dns') as typeof import('node:dns');
    dns.lookup(init.host, { family: family === 'IPv6' ? 6 : 4 }, (err, address) => {
      if (err) {
        const { connectErrorFromErrno } = require('../../errors') as typeof import('../../errors');
        fail(connectErrorFromErrno(err, [init.host, init.portNumber]));
      } else connectTo(address);
    });
  }
}
