/**
 * `NetstringReceiver` (Twisted's `twisted.protocols.basic.NetstringReceiver`).
 * @module
 */
import { callProtocolCallback } from '../guard';
import { RuntimeError } from '../errors';
import type { ITCPTransport, ITransport } from '../interfaces/transport';
import { Protocol } from '../protocol/protocol';
import { asBuffer, ByteQueue } from './byte-queue';
import { NetstringParseError } from './errors';

const COLON = 0x3a;
const COMMA = 0x2c;
const ZERO = 0x30;
const NINE = 0x39;
const COMMA_BUFFER = Buffer.from(',');

const MISSING_LENGTH = 'The received netstring does not start with a length specification';
const MISSING_COMMA = 'The received netstring is not terminated by a comma';

/**
 * A protocol that sends and receives netstrings
 * (<https://cr.yp.to/proto/netstrings.txt>): `<length>:<payload>,`, the
 * length in decimal ASCII digits, so `b"hello"` travels as `5:hello,`.
 *
 * The peer is refused — the connection is lost and
 * {@link NetstringReceiver.brokenPeer} set — when a length is missing, is
 * not made of digits, has a leading zero (`"0"` itself is fine), exceeds
 * `MAX_LENGTH` (checked digit by digit, so an endless length is refused
 * early), or when the payload is not followed by a comma. Nothing more is
 * parsed from a broken peer.
 *
 * Payloads are Buffers you may keep: a view of the received chunk when the
 * netstring lies inside it, one copy when it spans chunks.
 *
 * @typeParam T - the transport type (default {@link ITCPTransport}).
 */
export class NetstringReceiver<T extends ITransport = ITCPTransport> extends Protocol<T> {
  /** The longest payload accepted. Default 99999. */
  MAX_LENGTH = 99999;
  /** Set once the peer sent something that is not a netstring. */
  brokenPeer = false;

  readonly #buffer = new ByteQueue();
  #busy = false;
  #broken = false;
  // Parsing the length: how many digits so far and their value. -1 digits: parsing the payload.
  #digits = 0;
  #length = 0;

  /** Parse `data` (appended to what is buffered); call stringReceived for each complete netstring. */
  override dataReceived(data: Buffer): void {
    const chunk = asBuffer('data', data);
    if (this.#broken) return;
    this.#buffer.push(chunk);
    // A call from inside stringReceived only appends; the outer call delivers it in order.
    if (this.#busy) return;
    this.#busy = true;
    try {
      this.#consume();
    } catch (e) {
      if (!(e instanceof NetstringParseError)) throw e;
      this.#buffer.clear();
      this.#broken = true;
      this._handleParseError(e);
    } finally {
      this.#busy = false;
    }
  }

  #consume(): void {
    const buffer = this.#buffer;
    while (buffer.size > 0) {
      if (this.#digits >= 0) {
        if (!this.#consumeLength()) return;
      }
      const length = this.#length;
      if (buffer.size < length + 1) return;
      const payload = buffer.take(length);
      if (buffer.byteAt(0) !== COMMA) throw new NetstringParseError(MISSING_COMMA);
      buffer.skip(1);
      this.#digits = 0;
      this.#length = 0;
      callProtocolCallback(this, 'stringReceived', this.stringReceived, payload);
    }
  }

  // Eat length digits up to the colon: true once the length is complete.
  #consumeLength(): boolean {
    const buffer = this.#buffer;
    while (buffer.size > 0) {
      const b = buffer.byteAt(0);
      buffer.skip(1);
      if (b === COLON) {
        if (this.#digits === 0) throw new NetstringParseError(MISSING_LENGTH);
        this.#digits = -1;
        return true;
      }
      // A digit after a leading "0" is a leading zero: not a length.
      if (b < ZERO || b > NINE || (this.#digits === 1 && this.#length === 0)) {
        throw new NetstringParseError(MISSING_LENGTH);
      }
      this.#length = this.#length * 10 + (b - ZERO);
      this.#digits += 1;
      if (this.#length > this.MAX_LENGTH) {
        throw new NetstringParseError(
          `The received netstring is longer than the maximum ${this.MAX_LENGTH} specified by MAX_LENGTH`,
        );
      }
    }
    return false;
  }

  /** A complete netstring arrived; `string` is its payload. Override it. @throws RuntimeError when not overridden. */
  stringReceived(_string: Buffer): void {
    throw new RuntimeError(`${this.constructor.name} must override stringReceived()`);
  }

  /** Write `string` as a netstring. @throws TypeError unless it is bytes. */
  sendString(string: Buffer | Uint8Array): void {
    const data = asBuffer('string', string);
    const head = Buffer.from(`${data.length}:`, 'latin1');
    const n = head.length + data.length + 1;
    if (n <= 4096) {
      const out = Buffer.allocUnsafe(n);
      head.copy(out, 0);
      data.copy(out, head.length);
      out[n - 1] = COMMA;
      this.transport!.write(out);
    } else {
      // Large payloads are not copied: the transport gathers the pieces.
      this.transport!.writeSequence([head, data, COMMA_BUFFER]);
    }
  }

  /**
   * The peer sent an invalid netstring (`error` says how). Sets
   * `brokenPeer` and loses the connection. Called at most once per
   * connection: nothing received afterwards is parsed. Override it to log
   * the error (call the base implementation unless you close otherwise).
   */
  _handleParseError(_error: NetstringParseError): void {
    this.transport?.loseConnection();
    this.brokenPeer = true;
  }
}
