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
export * from './tls';
import type { IReactorTime } from './time';
import type { IReactorCore } from './core';
import type { IReactorFDSet } from './fdset';
import type { IReactorTCP } from './tcp';
// tls family
import type { IReactorSSL } from './tls';

/** What the real reactor provides. */
export interface IReactor extends IReactorTime, IReactorCore, IReactorFDSet, IReactorTCP, IReactorSSL {}
