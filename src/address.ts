/**
 * Address objects returned by getPeer()/getHost() and passed to buildProtocol.
 * @module torsion/address
 */
import type { IAddress } from './interfaces/address';

/** Transport type tag of an IP address. */
export type IPType = 'TCP' | 'UDP';

/** An IPv4 socket address. */
export class IPv4Address implements IAddress {
  constructor(
    readonly type: IPType,
    readonly host: string,
    readonly port: number,
  ) {
    Object.freeze(this);
  }
  equals(other: unknown): boolean {
    return other instanceof IPv4Address && other.type === this.type && other.host === this.host && other.port === this.port;
  }
  toString(): string {
    return `IPv4Address(type='${this.type}', host='${this.host}', port=${this.port})`;
  }
}

/** An IPv6 socket address. */
export class IPv6Address implements IAddress {
  constructor(
    readonly type: IPType,
    readonly host: string,
    readonly port: number,
    readonly flowInfo: number = 0,
    readonly scopeID: number | string = 0,
  ) {
    Object.freeze(this);
  }
  equals(other: unknown): boolean {
    return (
      other instanceof IPv6Address &&
      other.type === this.type &&
      other.host === this.host &&
      other.port === this.port &&
      other.flowInfo === this.flowInfo &&
      other.scopeID === this.scopeID
    );
  }
  toString(): string {
    return `IPv6Address(type='${this.type}', host='${this.host}', port=${this.port}, flowInfo=${this.flowInfo}, scopeID=${this.scopeID})`;
  }
}

/** A UNIX socket address (`name` is the path, or null if unbound). */
export class UNIXAddress implements IAddress {
  /** {@inheritDoc torsion/interfaces!IAddress.type} */
  readonly type = 'UNIX';
  constructor(readonly name: string | null) {
    Object.freeze(this);
  }
  equals(other: unknown): boolean {
    return other instanceof UNIXAddress && other.name === this.name;
  }
  toString(): string {
    return `UNIXAddress(${this.name === null ? 'None' : `'${this.name}'`})`;
  }
}

/** A host name and port before resolution (endpoints report it in errors). */
export class HostnameAddress implements IAddress {
  /** {@inheritDoc torsion/interfaces!IAddress.type} */
  readonly type = 'HOSTNAME';
  constructor(
    readonly hostname: string,
    readonly port: number,
  ) {
    Object.freeze(this);
  }
  toString(): string {
    return `HostnameAddress(hostname='${this.hostname}', port=${this.port})`;
  }
}

/** Build an IPv4Address or IPv6Address from a Node address family. */
export function ipAddress(type: IPType, host: string, port: number, family?: string | number): IPv4Address | IPv6Address {
  const v6 = family === 'IPv6' || family === 6 || (family === undefined && host.includes(':'));
  return v6 ? new IPv6Address(type, host, port) : new IPv4Address(type, host, port);
}

// ---- processes -------------------------------------------------------------

/** The address of a process transport (both ends): Twisted's `_ProcessAddress`. */
export class ProcessAddress implements IAddress {
  /** {@inheritDoc torsion/interfaces!IAddress.type} */
  readonly type = 'PROCESS';
  constructor() {
    Object.freeze(this);
  }
  equals(other: unknown): boolean {
    return other instanceof ProcessAddress;
  }
  toString(): string {
    return 'ProcessAddress()';
  }
}
