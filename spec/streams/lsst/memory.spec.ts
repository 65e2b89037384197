import { captureLogEvents } from 'torsion/logger';
import { Client, LOCALHOST_IPV4, OneClientServer } from 'torsion/streams';
import { MemoryReactorClock } from 'torsion/testing';
import { ConnectionCompleter } from './helpers';

describe('the contract example on a MemoryReactorClock', () => {
  it('runs verbatim', async () => {
    const [, stopLog] = captureLogEvents();
    try {
      // ---- verbatim from the contract ----
      const reactor = new MemoryReactorClock();
      const server = new OneClientServer(LOCALHOST_IPV4, 5000, { reactor });
      await server.startTask; // recorded in reactor.tcpServers
      const client = new Client(LOCALHOST_IPV4, 5000, { reactor }); // recorded in reactor.tcpClients
      new ConnectionCompleter(reactor).succeedOnce(); // pairs the two in memory
      await client.startTask;
      await client.writeStr('ping');
      expect(await server.readStr()).toBe('ping');
      reactor.advance(0.1); // drives the monitor and heartbeats
      // ---- end ----
      expect(reactor.tcpServers.map((s) => s.port)).toEqual([5000]);
      expect(client.connected).toBe(true);
      expect(server.connected).toBe(true);
      await client.close();
      await server.close();
      expect(client.connected).toBe(false);
    } finally {
      stopLog();
    }
  });
});
