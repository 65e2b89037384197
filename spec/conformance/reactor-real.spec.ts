import { startReactor } from './real-harness';
import { reactorConformance, type ReactorSurface } from './reactor-suite';

reactorConformance('Reactor', () => {
  const { reactor: r, stop } = startReactor();
  const surface: ReactorSurface = {
    connectTCP: (...a) => r.connectTCP(...a),
    listenTCP: (...a) => r.listenTCP(...a),
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
