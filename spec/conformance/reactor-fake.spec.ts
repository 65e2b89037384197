import { MemoryReactor } from '../../src/testing/memory-reactor';
import { MemoryReactorClock } from '../../src/testing/memory-reactor-clock';
import { reactorConformance } from './reactor-suite';

reactorConformance('MemoryReactor', () => ({ reactor: new MemoryReactor(), teardown: async () => {} }));
reactorConformance('MemoryReactorClock', () => ({ reactor: new MemoryReactorClock(), teardown: async () => {} }));
