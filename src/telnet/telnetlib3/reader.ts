/**
 * TelnetReader: the byte side of a telnet connection (`encoding: false`),
 * an asyncio StreamReader fed only telnet data (commands are stripped by
 * the engine), plus telnetlib3's `readuntilPattern`.
 * @module
 */
import { IncompleteReadError, LimitOverrunError } from '../../errors';
import { StreamReader } from '../../streams/asyncio/stream-reader';
import { ArgTypeError } from '../../validate';
import { type ReadOptions, checkReadOptions, handled } from '../../streams/asyncio/options';

/**
 * telnetlib3's byte reader: every StreamReader read (`read`, `readline`,
 * `readexactly`, `readuntil`, async iteration), and `readuntilPattern`.
 * @example
 * const reader = new TelnetReader();
 * reader.feedData(Buffer.from('login: '));
 * await reader.readuntilPattern(/login: $/); // <Buffer 'login: '>
 */
export class TelnetReader extends StreamReader {
  /**
   * Everything up to and including the first match of `pattern`, matched
   * against the buffered bytes read as Latin-1 (one character per byte).
   * @throws IncompleteReadError at EOF without a match (`partial` holds the
   *   rest); LimitOverrunError when no match within `limit` bytes (the data
   *   stays buffered).
   */
  readuntilPattern(pattern: RegExp, opts?: ReadOptions): Promise<Buffer> {
    return handled(this.#readuntilPattern(pattern, opts));
  }

  async #readuntilPattern(pattern: RegExp, opts: ReadOptions | undefined): Promise<Buffer> {
    if (!(pattern instanceof RegExp)) throw new ArgTypeError('pattern must be a RegExp');
    checkReadOptions(opts);
    const re = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
    for (;;) {
      const text = this.buffer.peek().toString('latin1');
      const m = re.exec(text);
      if (m !== null && m[0].length > 0) {
        const out = this.buffer.take(m.index + m[0].length);
        this.maybeResumeTransport();
        return out;
      }
      if (this.buffer.length > this.limit) {
        throw new LimitOverrunError(`pattern not found within ${this.limit} bytes`, this.buffer.length);
      }
      if (this.exc !== null) throw this.exc;
      if (this.eof) {
        const partial = this.buffer.takeAll();
        this.maybeResumeTransport();
        throw new IncompleteReadError(partial, null);
      }
      await this.waitForData('readuntilPattern', opts);
    }
  }
}
