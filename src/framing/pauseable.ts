import type { IPushProducer } from '../interfaces/producer';
import type { ITCPTransport, ITransport } from '../interfaces/transport';
import { Protocol } from '../protocol/protocol';

const NOTHING = Buffer.alloc(0);

/**
 * What LineReceiver and the IntN receivers share (Twisted's
 * `_PauseableMixin`): the receiver is a push producer whose pause stops
 * delivery and pauses the transport, and whose resume delivers what was
 * buffered meanwhile.
 * @hidden
 */
export abstract class PauseableReceiver<T extends ITransport = ITCPTransport> extends Protocol<T> implements IPushProducer {
  /** True while paused: nothing is delivered, received bytes are buffered. */
  paused = false;

  /** Stop delivering and pause the transport. */
  pauseProducing(): void {
    this.paused = true;
    (this.transport as Partial<IPushProducer> | null)?.pauseProducing?.();
  }

  /** Resume the transport and deliver what was buffered meanwhile. */
  resumeProducing(): void {
    this.paused = false;
    (this.transport as Partial<IPushProducer> | null)?.resumeProducing?.();
    this.dataReceived(NOTHING);
  }

  /** Stop delivering for good and stop the transport. */
  stopProducing(): void {
    this.paused = true;
    (this.transport as Partial<IPushProducer> | null)?.stopProducing?.();
  }
}
