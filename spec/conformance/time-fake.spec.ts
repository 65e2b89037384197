import { makeClockHarness, makeMemoryReactorClockHarness } from './fake-harness';
import { timeConformance } from './time-suite';

timeConformance('Clock', makeClockHarness);
timeConformance('MemoryReactorClock', makeMemoryReactorClockHarness);
