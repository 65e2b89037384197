/**
 * Async streams: asyncio's StreamReader/StreamWriter (`openConnection`,
 * `startServer`) and, on top of them, lsst.ts.tcpip's `Client` and
 * `OneClientServer`. Everything sits on a torsion Protocol, so it runs on a
 * real reactor, on MemoryReactorClock, or on a StringTransport.
 * @module torsion/streams
 */
export * from './asyncio';
export * from './lsst';
