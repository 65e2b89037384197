import { makeRealUDPHarness } from './udp-harness';
import { udpConformance } from './udp-suite';

udpConformance('Reactor + UDP (127.0.0.1)', makeRealUDPHarness);
