/**
 * telnetlib3's layer of torsion/telnet: clients and servers with
 * reader/writer streams and a shell, on conch's `Telnet` engine.
 * @module
 */
export { BaseClient, type BaseClientOptions, type ShellCallback } from './telnetlib3/client-base';
export { TelnetClient, type TelnetClientOptions } from './telnetlib3/client';
export { BaseServer, type BaseServerOptions } from './telnetlib3/server-base';
export { TelnetServer, type TelnetServerOptions } from './telnetlib3/server';
export { TelnetReader } from './telnetlib3/reader';
export { TelnetReaderUnicode, type TelnetReaderUnicodeOptions, type PausableTransport } from './telnetlib3/reader-unicode';
export { TelnetWriter, TelnetWriterUnicode, type Bytes, type TelnetWriterOptions, type WriterHost } from './telnetlib3/writer';
export type { OptionTable, PendingOptions } from './telnetlib3/options';
export {
  openTelnetConnection,
  createTelnetServer,
  type OpenTelnetConnectionOptions,
  type CreateTelnetServerOptions,
} from './telnetlib3/open';
