import { makeRealTransportHarness } from './real-harness';
import { transportConformance } from './transport-suite';

transportConformance('Reactor + TCP (127.0.0.1)', makeRealTransportHarness);
