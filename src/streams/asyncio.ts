/**
 * asyncio's streams (`asyncio/streams.py`), in camelCase: `StreamReader`,
 * `StreamWriter`, `StreamReaderProtocol`, `StreamServer`, `openConnection`,
 * `openUnixConnection`, `startServer`, `startUnixServer`.
 * @module
 */
export { StreamBuffer } from './asyncio/stream-buffer';
export type { Bytes, ReadOptions } from './asyncio/options';
export { DEFAULT_LIMIT, StreamReader, type StreamReaderOptions } from './asyncio/stream-reader';
export { SSL_HANDSHAKE_TIMEOUT, StreamWriter, type StartTlsOptions } from './asyncio/stream-writer';
export {
  type ClientConnectedCallback,
  StreamReaderProtocol,
  type StreamReaderProtocolOptions,
} from './asyncio/stream-reader-protocol';
export {
  openConnection,
  openUnixConnection,
  type OpenConnectionOptions,
  type OpenUnixConnectionOptions,
} from './asyncio/open-connection';
export { StreamServer, startServer, startUnixServer, type StartServerOptions } from './asyncio/start-server';
