import { makeFakeUDPHarness } from './udp-harness';
import { udpConformance } from './udp-suite';

udpConformance('MemoryReactor + FakeDatagramTransport', makeFakeUDPHarness);
