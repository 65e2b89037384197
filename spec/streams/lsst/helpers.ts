/**
 * Helpers of the lsst specs: a ConnectionCompleter whose pumps deliver by
 * themselves (a write, close or abort schedules a flush on the microtask
 * queue), so code that awaits a reply from the other side of a
 * MemoryReactorClock connection runs as it would over a socket.
 */
import { ConnectionCompleter as BaseCompleter, type IOPump, type IOPumpOptions } from 'torsion/testing';

const KICKERS = ['write', 'writeSequence', 'loseConnection', 'abortConnection', 'loseWriteConnection'] as const;

/** Make `pump` flush (once per microtask turn) after anything its transports are asked to do. */
export function autoPump(pump: IOPump): IOPump {
  let scheduled = false;
  const kick = (): void => {
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(() => {
      scheduled = false;
      pump.flush();
    });
  };
  for (const io of [pump.clientIO, pump.serverIO]) {
    const t = io as unknown as Record<string, unknown>;
    for (const name of KICKERS) {
      const original = t[name];
      if (typeof original !== 'function') continue;
      t[name] = (...args: unknown[]) => {
        const result = (original as (...a: unknown[]) => unknown).apply(io, args);
        kick();
        return result;
      };
    }
  }
  return pump;
}

/** torsion/testing's ConnectionCompleter, with self-delivering pumps (see {@link autoPump}). */
export class ConnectionCompleter extends BaseCompleter {
  override succeedOnce(opts?: IOPumpOptions): IOPump | null {
    const pump = super.succeedOnce(opts);
    return pump === null ? null : autoPump(pump);
  }
}

/** Let queued microtasks and promise reactions run (several turns). */
export async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}
