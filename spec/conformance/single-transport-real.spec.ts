import { Recorder } from '../testing/recorder';
import { makeRealTransportHarness } from './real-harness';
import { singleTransportConformance } from './single-transport-suite';

singleTransportConformance('TCP server transport (127.0.0.1)', async () => {
  const h = makeRealTransportHarness();
  const { serverTransport } = await h.connect(
    () => new Recorder(),
    () => new Recorder(),
  );
  return { transport: serverTransport, close: () => h.teardown() };
});
