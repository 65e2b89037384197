import { makeReactorTimeHarness } from './real-harness';
import { timeConformance } from './time-suite';

timeConformance('Reactor', makeReactorTimeHarness);
