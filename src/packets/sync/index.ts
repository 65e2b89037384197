/**
 * Blocking packet clients: EasyNetwork's synchronous `TCPNetworkClient` and
 * `UDPNetworkClient`, synchronous in JavaScript too, for scripts, REPLs and
 * synchronous plug-in APIs.
 *
 * How they work: each client starts one `worker_threads` Worker running a
 * private torsion `Reactor` that owns the socket. The calling thread
 * serializes and deserializes (serializers are user code and stay on the
 * calling thread), ships the bytes over a `MessagePort`, and blocks in
 * `Atomics.wait` on a `SharedArrayBuffer` word that the worker bumps after
 * every message, draining with `receiveMessageOnPort`. Timeouts are real
 * seconds: these clients cannot run on a `Clock`. A worker that dies is
 * noticed (its handlers mark a shared word; a heartbeat catches the rest)
 * and surfaces as a `ConnectionLost`, never a hang.
 *
 * **What it costs, plainly:**
 * - While a call waits, the calling thread's event loop stops: no timer,
 *   I/O callback or reactor of that thread runs until the call returns.
 *   Never use these clients inside a reactor-driven program; use
 *   `AsyncTCPNetworkClient` there.
 * - Each client is one more thread (with its own V8 heap).
 *
 * Measured on a loaded 2-core machine (Node 20; `bench/packets-sync.ts`):
 * MEASURED_NUMBERS
 * @module torsion/packets/sync
 */
export { AbstractNetworkClient } from './base';
export { TCPNetworkClient, type TCPNetworkClientOptions } from './tcp';
export { UDPNetworkClient, type UDPNetworkClientOptions } from './udp';
