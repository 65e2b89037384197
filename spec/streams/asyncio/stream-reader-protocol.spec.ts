import { Failure } from '../../../src/defer/failure';
import { ConnectionAborted, ConnectionDone, ConnectionError, ConnectionLost, RuntimeError } from '../../../src/errors';
import { captureLogEvents } from '../../../src/logger';
import { StreamReader, StreamReaderProtocol, type StreamWriter } from '../../../src/streams/asyncio';
import { StringTransport, StringTransportWithDisconnection } from '../../../src/testing';
import { UNIXAddress } from '../../../src/address';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

function connected(cb: ConstructorParameters<typeof StreamReaderProtocol>[1] = null): {
  reader: StreamReader;
  proto: StreamReaderProtocol;
  tr: StringTransportWithDisconnection;
  writer: StreamWriter;
} {
  const reader = new StreamReader();
  const proto = new StreamReaderProtocol(reader, cb);
  const tr = new StringTransportWithDisconnection();
  tr.protocol = proto;
  proto.makeConnection(tr);
  return { reader, proto, tr, writer: proto.writer! };
}

describe('StreamReaderProtocol on a StringTransport', () => {
  it('the contract example: makeConnection makes the writer, dataReceived feeds the reader', async () => {
    const reader = new StreamReader();
    const proto = new StreamReaderProtocol(reader);
    expect(proto.writer).toBeNull();
    const tr = new StringTransport();
    proto.makeConnection(tr);
    expect(proto.writer).not.toBeNull();
    expect(proto.writer!.transport).toBe(tr);
    proto.dataReceived(b('hello\r\nwor'));
    expect(await reader.readuntil(b('\r\n'))).toEqual(b('hello\r\n'));
  });

  it('the reader pauses and resumes the transport (backpressure through pauseProducing)', async () => {
    const reader = new StreamReader({ limit: 4 });
    const proto = new StreamReaderProtocol(reader);
    const tr = new StringTransport();
    proto.makeConnection(tr);
    proto.dataReceived(b('0123456789'));
    expect(tr.producerState).toBe('paused');
    await reader.read(6);
    expect(tr.producerState).toBe('producing');
  });

  it('readConnectionLost feeds EOF and leaves the writer usable (half-open)', async () => {
    const { reader, proto, tr, writer } = connected();
    proto.dataReceived(b('last'));
    proto.readConnectionLost();
    expect((await reader.read()).toString()).toBe('last');
    expect(reader.atEof()).toBe(true);
    writer.write(b('still writing'));
    expect(tr.value().toString()).toBe('still writing');
    expect(writer.isClosing()).toBe(false);
  });

  it('connectionLost(ConnectionDone) feeds EOF; waitClosed resolves; drain then rejects with ConnectionDone', async () => {
    const { reader, proto, writer } = connected();
    proto.dataReceived(b('x\n'));
    proto.connectionLost(new Failure(new ConnectionDone()));
    expect((await reader.readline()).toString()).toBe('x\n');
    expect((await reader.readline()).length).toBe(0);
    await expect(writer.waitClosed()).resolves.toBeUndefined();
    await expect(writer.drain()).rejects.toBeInstanceOf(ConnectionDone);
    expect(writer.isClosing()).toBe(true);
  });

  it('connectionLost(other) sets the exception: buffered data first, then the error; waitClosed rejects', async () => {
    const { reader, proto, writer } = connected();
    proto.dataReceived(b('line\npart'));
    const err = new ConnectionLost();
    proto.connectionLost(new Failure(err));
    expect((await reader.readline()).toString()).toBe('line\n');
    await expect(reader.readline()).rejects.toBe(err);
    expect((await reader.read(10)).toString()).toBe('part');
    await expect(writer.waitClosed()).rejects.toBe(err);
    await expect(writer.drain()).rejects.toBeInstanceOf(ConnectionError);
  });

  describe('drain()', () => {
    it('resolves at once unless writing is paused', async () => {
      const { writer } = connected();
      await expect(writer.drain()).resolves.toBeUndefined();
    });

    it('concurrent drains wait together for resumeWriting and resolve together', async () => {
      const { proto, writer } = connected();
      proto.pauseWriting();
      const states = [0, 0, 0];
      const ps = [writer.drain(), writer.drain(), writer.drain()].map((p, i) => p.then(() => (states[i] = 1)));
      await flush();
      expect(states).toEqual([0, 0, 0]);
      proto.resumeWriting();
      await Promise.all(ps);
      expect(states).toEqual([1, 1, 1]);
      await expect(writer.drain()).resolves.toBeUndefined();
    });

    it('a drain waiting when the connection is lost rejects with the loss', async () => {
      const { proto, writer } = connected();
      proto.pauseWriting();
      const p = writer.drain();
      proto.connectionLost(new Failure(new ConnectionLost()));
      await expect(p).rejects.toBeInstanceOf(ConnectionLost);
    });
  });

  describe('StreamWriter', () => {
    it('write, writelines and close go to the transport; close loses the connection cleanly', async () => {
      const { tr, writer } = connected();
      writer.write(b('a'));
      writer.writelines([b('b'), new Uint8Array([0x63])]);
      expect(tr.value().toString()).toBe('abc');
      expect(() => writer.write('x' as unknown as Buffer)).toThrow(TypeError);
      expect(() => writer.writelines([b('ok'), 'bad' as unknown as Buffer])).toThrow(TypeError);
      expect(tr.value().toString()).toBe('abc');
      writer.close();
      expect(writer.isClosing()).toBe(true);
      await writer.waitClosed();
    });

    it('writeEof is loseWriteConnection; canWriteEof is true on TCP-like transports', () => {
      const { tr, writer } = connected();
      expect(writer.canWriteEof()).toBe(true);
      writer.writeEof();
      expect(tr.writeDisconnecting).toBe(true);
    });

    it('writeEof on a transport without half-close throws RuntimeError', () => {
      const reader = new StreamReader();
      const proto = new StreamReaderProtocol(reader);
      const tr = new StringTransport();
      (tr as { loseWriteConnection?: unknown }).loseWriteConnection = undefined;
      proto.makeConnection(tr);
      expect(proto.writer!.canWriteEof()).toBe(false);
      expect(() => proto.writer!.writeEof()).toThrow(RuntimeError);
    });

    it("getExtraInfo knows asyncio's keys", () => {
      const { tr, writer } = connected();
      expect(writer.getExtraInfo('peername')).toEqual(['192.168.1.1', 54321]);
      expect(writer.getExtraInfo('sockname')).toEqual(['10.0.0.1', 12345]);
      expect(writer.getExtraInfo('socket')).toBe(tr);
      expect(writer.getExtraInfo('peercert')).toBeNull();
      expect(writer.getExtraInfo('ssl_object', 'none')).toBe('none');
      expect(writer.getExtraInfo('nope', 42)).toBe(42);
      const reader = new StreamReader();
      const proto = new StreamReaderProtocol(reader);
      proto.makeConnection(new StringTransport({ peerAddress: new UNIXAddress('/tmp/sock') }));
      expect(proto.writer!.getExtraInfo('peername')).toBe('/tmp/sock');
    });

    it('await using closes and waits', async () => {
      const { tr, writer } = connected();
      {
        await using w = writer;
        w.write(b('bye'));
      }
      expect(tr.disconnecting).toBe(true);
    });

    it('asyncDispose rejects with an unclean loss (as waitClosed does)', async () => {
      const { writer, tr } = connected();
      tr.abortConnection();
      await expect(writer[Symbol.asyncDispose]()).rejects.toBeInstanceOf(ConnectionAborted);
    });

    it('startTls on a transport that cannot start TLS rejects with RuntimeError', async () => {
      const { writer } = connected();
      await expect(writer.startTls({} as never)).rejects.toBeInstanceOf(RuntimeError);
    });
  });

  describe('clientConnectedCb', () => {
    it('is called with (reader, writer) at connectionMade', () => {
      const seen: unknown[] = [];
      const { reader, writer } = connected((r, w) => {
        seen.push(r, w);
      });
      expect(seen).toEqual([reader, writer]);
    });

    it('a throw is logged and the connection closed', () => {
      const [events, stop] = captureLogEvents();
      try {
        const { tr } = connected(() => {
          throw new Error('cb failed');
        });
        expect(tr.disconnecting).toBe(true);
      } finally {
        stop();
      }
      expect(events.some((e) => /client_connected_cb/.test(String(e.message)))).toBe(true);
    });

    it('a rejection is logged and the connection closed', async () => {
      const [events, stop] = captureLogEvents();
      let tr: StringTransportWithDisconnection;
      try {
        ({ tr } = connected(async () => {
          await Promise.resolve();
          throw new Error('async cb failed');
        }));
        await flush();
      } finally {
        stop();
      }
      expect(tr.disconnecting).toBe(true);
      expect(events.some((e) => /client_connected_cb/.test(String(e.message)))).toBe(true);
    });
  });

  it('checks its arguments', () => {
    expect(() => new StreamReaderProtocol({} as StreamReader)).toThrow(TypeError);
    expect(() => new StreamReaderProtocol(new StreamReader(), 5 as never)).toThrow(TypeError);
  });
});
