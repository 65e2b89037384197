/**
 * A protocol that records every callback, shared by the testing and
 * conformance specs (helper module, not a spec).
 */
import type { Failure } from '../../src/defer/failure';
import type { ITCPTransport } from '../../src/interfaces/transport';
import { Protocol } from '../../src/protocol/protocol';

/** Everything a protocol was told, in order. */
export class Recorder extends Protocol<ITCPTransport> {
  /** Callback names in call order ('made', 'data', 'readLost', 'writeLost', 'lost', 'pauseWriting', 'resumeWriting'). */
  events: string[] = [];
  chunks: Buffer[] = [];
  reasons: Failure[] = [];
  /** Optional reaction to incoming bytes. */
  onData: ((data: Buffer, self: Recorder) => void) | null = null;
  /** Optional reaction to connectionMade. */
  onMade: ((self: Recorder) => void) | null = null;

  override connectionMade(): void {
    this.events.push('made');
    this.onMade?.(this);
  }
  override dataReceived(data: Buffer): void {
    this.events.push('data');
    this.chunks.push(data);
    this.onData?.(data, this);
  }
  override connectionLost(reason: Failure): void {
    this.connected = false;
    this.events.push('lost');
    this.reasons.push(reason);
  }
  /** All bytes received so far. */
  received(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** A Recorder that also implements the half-close hooks. */
export class HalfCloseRecorder extends Recorder {
  readConnectionLost(): void {
    this.events.push('readLost');
  }
  writeConnectionLost(): void {
    this.events.push('writeLost');
  }
}

/** A Recorder that also implements the write flow-control hooks. */
export class FlowRecorder extends Recorder {
  pauseWriting(): void {
    this.events.push('pauseWriting');
  }
  resumeWriting(): void {
    this.events.push('resumeWriting');
  }
}

/** A push producer that records calls and enforces Twisted's state rules (like iosim's StrictPushProducer). */
export class StrictPushProducer {
  state: 'running' | 'paused' | 'stopped' = 'running';
  calls: string[] = [];
  stopProducing(): void {
    this.calls.push('stop');
    if (this.state === 'stopped') throw new Error('Cannot stop an already-stopped IPushProducer');
    this.state = 'stopped';
  }
  pauseProducing(): void {
    this.calls.push('pause');
    if (this.state !== 'running') throw new Error(`Cannot pause a ${this.state} IPushProducer`);
    this.state = 'paused';
  }
  resumeProducing(): void {
    this.calls.push('resume');
    if (this.state !== 'paused') throw new Error(`Cannot resume a ${this.state} IPushProducer`);
    this.state = 'running';
  }
}
