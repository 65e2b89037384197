/**
 * What the TCP classes need from a reactor, and argument checks shared by
 * connectTCP and listenTCP.
 * @module
 */
import { isIP } from 'node:net';
import type { IReactorCore } from '../interfaces/core';
import type { IFileDescriptor, IReactorFDSet } from '../interfaces/fdset';
import type { IReactorTime } from '../interfaces/time';
import { checkCount, checkDelay, checkPort, checkString, describe, ArgTypeError } from '../validate';

/**
 * The reactor services a TCP transport uses: time (timeouts), core
 * (`resolve`), the reader set (reading = being a reader), and the
 * connection registry that reactor shutdown walks.
 */
export interface TCPReactor extends IReactorTime, IReactorCore, IReactorFDSet {
  /** Register a live connection or port: on stop() it gets connectionLost once. */
  _trackConnection(descriptor: IFileDescriptor): void;
  /** Forget a connection or port that has closed. */
  _untrackConnection(descriptor: IFileDescriptor): void;
}

/** A local address to bind before connecting: `[host, port]`. */
export type BindAddress = readonly [string, number];

/**
 * Validate and normalise connectTCP's `timeout` (seconds or null; default 30).
 * @internal
 */
export function checkConnectTimeout(timeout: unknown): number | null {
  if (timeout === undefined) return 30;
  if (timeout === null) return null;
  checkDelay('timeout', timeout);
  return timeout;
}

/**
 * Validate and normalise connectTCP's `bindAddress` (a host string means port 0).
 * @internal
 */
export function checkBindAddress(bindAddress: unknown): BindAddress | null {
  if (bindAddress === undefined || bindAddress === null) return null;
  if (typeof bindAddress === 'string') return [bindAddress, 0];
  if (Array.isArray(bindAddress) && bindAddress.length === 2) {
    checkString('bindAddress[0]', bindAddress[0]);
    checkPort('bindAddress[1]', bindAddress[1]);
    return [bindAddress[0], bindAddress[1]];
  }
  throw new ArgTypeError(`bindAddress must be a host string or a [host, port] pair, got ${describe(bindAddress)}`);
}

/**
 * Validate connectTCP's host (a non-empty string).
 * @internal
 */
export function checkHost(host: unknown): asserts host is string {
  checkString('host', host);
  if (host.length === 0) throw new ArgTypeError('host must be a non-empty host name or IP address');
}

/**
 * Validate listenTCP's options; returns `[backlog, interface]`.
 * @internal
 */
export function checkListenOptions(backlog: unknown, iface: unknown): [number, string] {
  const b = backlog === undefined ? 50 : backlog;
  checkCount('backlog', b);
  const i = iface === undefined ? '' : iface;
  checkString('interface', i);
  return [b, i];
}

/**
 * Validate an object that must have the given methods (a factory).
 * @internal
 */
export function checkMethods(name: string, value: unknown, methods: readonly string[]): void {
  if (value === null || typeof value !== 'object') {
    throw new ArgTypeError(`${name} must be an object with ${methods.join('/')}, got ${describe(value)}`);
  }
  for (const m of methods) {
    if (typeof (value as Record<string, unknown>)[m] !== 'function') {
      throw new ArgTypeError(`${name}.${m} must be a function, got ${describe((value as Record<string, unknown>)[m])}`);
    }
  }
}

/** Whether `host` is an IPv4 literal. @internal */
export function isIPv4Literal(host: string): boolean {
  return isIP(host) === 4;
}

/** Whether `host` is an IPv6 literal (a zone id like `%eth0` allowed). @internal */
export function isIPv6Literal(host: string): boolean {
  return isIP(host) === 6;
}
