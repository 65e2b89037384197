/** Shared test doubles of the conch telnet specs. */
import type { Deferred } from '../../../src/defer/deferred';
import { Failure } from '../../../src/defer/failure';
import { Telnet } from '../../../src/telnet/conch/telnet';
import { StringTransport } from '../../../src/testing';
import { type LogEvent, captureLogEvents, globalLogPublisher } from '../../../src/logger';

/** One callback a {@link Recorder} saw. */
export type Event =
  | ['data', Buffer]
  | ['command', number, number | null]
  | ['sb', number, Buffer]
  | ['enableLocal', number]
  | ['enableRemote', number]
  | ['disableLocal', number]
  | ['disableRemote', number];

/** A Telnet that records every callback and agrees to the options in `local`/`remote`. */
export class Recorder extends Telnet {
  readonly events: Event[] = [];
  readonly local = new Set<number>();
  readonly remote = new Set<number>();

  override applicationDataReceived(data: Buffer): void {
    this.events.push(['data', Buffer.from(data)]);
  }
  override unhandledCommand(command: number, argument: number | null): void {
    this.events.push(['command', command, argument]);
  }
  override unhandledSubnegotiation(command: number, data: Buffer): void {
    this.events.push(['sb', command, Buffer.from(data)]);
  }
  override enableLocal(option: number): boolean {
    this.events.push(['enableLocal', option]);
    return this.local.has(option);
  }
  override enableRemote(option: number): boolean {
    this.events.push(['enableRemote', option]);
    return this.remote.has(option);
  }
  override disableLocal(option: number): void {
    this.events.push(['disableLocal', option]);
  }
  override disableRemote(option: number): void {
    this.events.push(['disableRemote', option]);
  }

  /** All data events joined. */
  data(): Buffer {
    return Buffer.concat(this.events.filter((e) => e[0] === 'data').map((e) => e[1] as Buffer));
  }
  /** The events other than data, in order. */
  nonData(): Event[] {
    return this.events.filter((e) => e[0] !== 'data');
  }
}

/** A connected Recorder and its StringTransport. */
export function connected(): [Recorder, StringTransport] {
  const t = new Recorder();
  const tr = new StringTransport();
  t.makeConnection(tr);
  return [t, tr];
}

/** What a Deferred settled with, observed without leaving a failure unhandled. */
export interface Outcome {
  settled: boolean;
  value?: unknown;
  error?: unknown;
}

/** Watch `d`; the returned object fills in when it fires. */
export function watch(d: Deferred<unknown>): Outcome {
  const o: Outcome = { settled: false };
  d.addCallbacks(
    (v) => {
      o.settled = true;
      o.value = v;
    },
    (f: Failure) => {
      o.settled = true;
      o.error = f instanceof Failure ? f.value : f;
    },
  );
  return o;
}

/** Take what was written so far as an array of numbers, and clear it. */
export function take(tr: StringTransport): number[] {
  const v = [...tr.value()];
  tr.clear();
  return v;
}

/** Collect log events including debug ones; call the returned function to stop. */
export function captureDebug(): [LogEvent[], () => void] {
  const prev = globalLogPublisher.minLevel;
  globalLogPublisher.minLevel = 'debug';
  const [events, stop] = captureLogEvents();
  return [
    events,
    () => {
      stop();
      globalLogPublisher.minLevel = prev;
    },
  ];
}
