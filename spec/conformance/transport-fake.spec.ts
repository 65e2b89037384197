import { makeFakeTransportHarness } from './fake-harness';
import { transportConformance } from './transport-suite';

transportConformance('MemoryReactorClock + IOPump', makeFakeTransportHarness);
