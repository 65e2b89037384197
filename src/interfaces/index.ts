/**
 * The contracts: TypeScript interfaces named as in Twisted. Classes
 * implement them structurally.
 * @module torsion/interfaces
 */
export * from './time';
export * from './core';
export * from './fdset';
export * from './address';
export * from './producer';
export * from './transport';
export * from './protocol';
export * from './connector';
export * from './tcp';
export * from './endpoints';
export * from './logger';
export * from './unix'; // unix
// processes
export * from './process';
// udp
export * from './udp';
export * from './tls';
import type { IReactorTime } from './time';
import type { IReactorCore } from './core';
import type { IReactorFDSet } from './fdset';
import type { IReactorTCP } from './tcp';
import type { IReactorUNIX } from './unix'; // unix
import type { IReactorProcess } from './process';
import type { IReactorMulticast, IReactorUDP } from './udp'; // udp
import type { IReactorSSL } from './tls'; // tls

/** What the real reactor provides. */
export interface IReactor
  extends IReactorTime,
    IReactorCore,
    IReactorFDSet,
    IReactorTCP,
    IReactorUNIX,
    IReactorProcess,
    IReactorUDP,
    IReactorMulticast,
    IReactorSSL {}
