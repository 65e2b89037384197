import type { IReactorTCP } from '../../src/interfaces/tcp';
import { connectTCP, listenTCP } from '../../src/tcp';
import { startReactor } from './real-harness';
import { reactorConformance, type ReactorSurface } from './reactor-suite';

reactorConformance('Reactor', () => {
  const { reactor: r, stop } = startReactor();
  const tcp = r as typeof r & Partial<IReactorTCP>;
  const surface: ReactorSurface = {
    // The reactor's own connectTCP/listenTCP once it has them, the tcp module's functions until then.
    connectTCP: (...a) => (typeof tcp.connectTCP === 'function' ? tcp.connectTCP(...a) : connectTCP(r, ...a)),
    listenTCP: (...a) => (typeof tcp.listenTCP === 'function' ? tcp.listenTCP(...a) : listenTCP(r, ...a)),
    addReader: (d) => r.addReader(d),
    addWriter: (d) => r.addWriter(d),
    removeReader: (d) => r.removeReader(d),
    removeWriter: (d) => r.removeWriter(d),
    removeAll: () => r.removeAll(),
    getReaders: () => r.getReaders(),
    getWriters: () => r.getWriters(),
    addSystemEventTrigger: (phase, eventType, fn, ...args) => r.addSystemEventTrigger(phase, eventType, fn, ...args),
    removeSystemEventTrigger: (id) => r.removeSystemEventTrigger(id),
  };
  return { reactor: surface, teardown: stop };
});
