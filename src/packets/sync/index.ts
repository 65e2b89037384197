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
 * Measured with `bench/packets-sync.ts` on a heavily loaded 2-core machine
 * (Node 20, load average 5–14; expect better on a quiet one):
 * - connect, including the worker's start and its reactor's load:
 *   130–390 ms (bench median 389 ms; node:net alone: 0.6 ms);
 * - JSON-lines request/response against a node:net echo server: 1,000–4,900
 *   round trips/s (bench median 1,401/s, 0.11× a hand-written async
 *   node:net client's 12,421/s);
 * - about 12–13 MB RSS per connected client (the worker's V8 isolate and
 *   torsion's modules loaded in it).
 * @module torsion/packets/sync
 */
export { AbstractNetworkClient } from './base';
export { TCPNetworkClient, type TCPNetworkClientOptions } from './tcp';
export { UDPNetworkClient, type UDPNetworkClientOptions } from './udp';
