import { transportConformance } from './transport-suite';
import { makeFakeUNIXTransportHarness, makeRealUNIXTransportHarness } from './unix-harness';

// unix: the TCP transport suite over UNIX sockets, real and fake, so the fakes cannot drift.
transportConformance('Reactor + UNIX socket (temp dir)', makeRealUNIXTransportHarness, 'UNIX');
transportConformance('MemoryReactorClock + IOPump (unixServers/unixClients)', makeFakeUNIXTransportHarness, 'UNIX');
