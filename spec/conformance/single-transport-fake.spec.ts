import { StringTransport } from '../../src/testing/string-transport';
import { makeFakeTransportHarness } from './fake-harness';
import { singleTransportConformance } from './single-transport-suite';
import { Recorder } from '../testing/recorder';

singleTransportConformance('StringTransport', async () => ({ transport: new StringTransport(), close: async () => {} }));

singleTransportConformance('FakeTransport (via MemoryReactorClock + IOPump)', async () => {
  const h = makeFakeTransportHarness();
  const { serverTransport } = await h.connect(
    () => new Recorder(),
    () => new Recorder(),
  );
  return { transport: serverTransport, close: () => h.teardown() };
});
