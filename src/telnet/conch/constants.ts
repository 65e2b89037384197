/**
 * The telnet byte constants, named as telnetlib3's `telopt` (and Python's
 * `telnetlib`) name them, and {@link nameCommand}/{@link nameCommands} for
 * log lines.
 *
 * One naming clash with conch: conch's `EOR` is the command 239; here, as in
 * telnetlib3, `EOR` is the option 25 (RFC 885) and the command is `CMD_EOR`.
 * @module
 */
import { ArgRangeError, ArgTypeError, checkString, describe } from '../../validate';

// ---- commands (the byte after IAC) -------------------------------------------

/** Interpret As Command (255): starts every telnet command; `IAC IAC` is a data byte 255. */
export const IAC = 255;
/** `IAC DONT opt` (254): please stop using / do not start using the option. */
export const DONT = 254;
/** `IAC DO opt` (253): please start using the option. */
export const DO = 253;
/** `IAC WONT opt` (252): I will not use / stop using the option. */
export const WONT = 252;
/** `IAC WILL opt` (251): I will use the option. */
export const WILL = 251;
/** Subnegotiation Begin (250): `IAC SB opt ... IAC SE`. */
export const SB = 250;
/** Go Ahead (249). */
export const GA = 249;
/** Erase Line (248). */
export const EL = 248;
/** Erase Character (247). */
export const EC = 247;
/** Are You There (246). */
export const AYT = 246;
/** Abort Output (245). */
export const AO = 245;
/** Interrupt Process (244). */
export const IP = 244;
/** Break (243). */
export const BRK = 243;
/** Data Mark (242), the data stream part of a Synch. */
export const DM = 242;
/** No Operation (241). */
export const NOP = 241;
/** Subnegotiation End (240). */
export const SE = 240;
/** End Of Record command (239, RFC 885); conch calls it `EOR`. */
export const CMD_EOR = 239;
/** Abort (238, RFC 1184). */
export const ABORT = 238;
/** Suspend (237, RFC 1184). */
export const SUSP = 237;
/** End Of File (236, RFC 1184); telnetlib3's `EOF`. */
export const xEOF = 236;

// ---- options -----------------------------------------------------------------

/** Binary Transmission (RFC 856). */
export const BINARY = 0;
/** Echo (RFC 857). */
export const ECHO = 1;
/** Reconnection (NIC 15391). */
export const RCP = 2;
/** Suppress Go Ahead (RFC 858). */
export const SGA = 3;
/** Approx Message Size Negotiation. */
export const NAMS = 4;
/** Status (RFC 859). */
export const STATUS = 5;
/** Timing Mark (RFC 860). */
export const TM = 6;
/** Remote Controlled Trans and Echo (RFC 726). */
export const RCTE = 7;
/** Output Line Width. */
export const NAOL = 8;
/** Output Page Size. */
export const NAOP = 9;
/** Output Carriage-Return Disposition (RFC 652). */
export const NAOCRD = 10;
/** Output Horizontal Tab Stops (RFC 653). */
export const NAOHTS = 11;
/** Output Horizontal Tab Disposition (RFC 654). */
export const NAOHTD = 12;
/** Output Formfeed Disposition (RFC 655). */
export const NAOFFD = 13;
/** Output Vertical Tabstops (RFC 656). */
export const NAOVTS = 14;
/** Output Vertical Tab Disposition (RFC 657). */
export const NAOVTD = 15;
/** Output Linefeed Disposition (RFC 658). */
export const NAOLFD = 16;
/** Extended ASCII (RFC 698). */
export const XASCII = 17;
/** Logout (RFC 727). */
export const LOGOUT = 18;
/** Byte Macro (RFC 735). */
export const BM = 19;
/** Data Entry Terminal (RFC 1043). */
export const DET = 20;
/** SUPDUP (RFC 736). */
export const SUPDUP = 21;
/** SUPDUP Output (RFC 749). */
export const SUPDUPOUTPUT = 22;
/** Send Location (RFC 779). */
export const SNDLOC = 23;
/** Terminal Type (RFC 1091). */
export const TTYPE = 24;
/** End of Record option (RFC 885); the command is {@link CMD_EOR}. */
export const EOR = 25;
/** TACACS User Identification (RFC 927). */
export const TUID = 26;
/** Output Marking (RFC 933). */
export const OUTMRK = 27;
/** Terminal Location Number (RFC 946). */
export const TTYLOC = 28;
/** Telnet 3270 Regime (RFC 1041). */
export const VT3270REGIME = 29;
/** X.3 PAD (RFC 1053). */
export const X3PAD = 30;
/** Negotiate About Window Size (RFC 1073). */
export const NAWS = 31;
/** Terminal Speed (RFC 1079). */
export const TSPEED = 32;
/** Remote Flow Control (RFC 1372). */
export const LFLOW = 33;
/** Linemode (RFC 1184). */
export const LINEMODE = 34;
/** X Display Location (RFC 1096). */
export const XDISPLOC = 35;
/** Environment Option (RFC 1408). */
export const OLD_ENVIRON = 36;
/** Authentication (RFC 2941). */
export const AUTHENTICATION = 37;
/** Encryption (RFC 2946). */
export const ENCRYPT = 38;
/** New Environment (RFC 1572). */
export const NEW_ENVIRON = 39;
/** TN3270E (RFC 2355). */
export const TN3270E = 40;
/** XAUTH. */
export const XAUTH = 41;
/** Charset (RFC 2066). */
export const CHARSET = 42;
/** Telnet Remote Serial Port. */
export const RSP = 43;
/** Com Port Control (RFC 2217). */
export const COM_PORT_OPTION = 44;
/** Suppress Local Echo. */
export const SUPPRESS_LOCAL_ECHO = 45;
/** Start TLS. */
export const TLS = 46;
/** Kermit (RFC 2840). */
export const KERMIT = 47;
/** Send URL. */
export const SEND_URL = 48;
/** Forward X. */
export const FORWARD_X = 49;
/** MUD Server Data Protocol. */
export const MSDP = 69;
/** MUD Server Status Protocol. */
export const MSSP = 70;
/** MUD Client Compression Protocol v1. */
export const MCCP_COMPRESS = 85;
/** MUD Client Compression Protocol v2. */
export const MCCP2_COMPRESS = 86;
/** MUD Client Compression Protocol v3. */
export const MCCP3_COMPRESS = 87;
/** Telnet Pragma Logon. */
export const PRAGMA_LOGON = 138;
/** Telnet SSPI Logon. */
export const SSPI_LOGON = 139;
/** Telnet Pragma Heartbeat. */
export const PRAGMA_HEARTBEAT = 140;
/** Generic MUD Communication Protocol. */
export const GMCP = 201;
/** Extended-Options-List (RFC 861); the same byte as {@link IAC}. */
export const EXOPL = 255;

// ---- subnegotiation bytes ----------------------------------------------------

/** `IS` (0): TTYPE, TSPEED, XDISPLOC, NEW_ENVIRON, STATUS replies. */
export const IS = 0;
/** `SEND` (1): the request of TTYPE, TSPEED, XDISPLOC, NEW_ENVIRON, STATUS. */
export const SEND = 1;
/** `INFO` (2): NEW_ENVIRON unsolicited update. */
export const INFO = 2;
/** NEW_ENVIRON `VAR` (0). */
export const VAR = 0;
/** NEW_ENVIRON `VALUE` (1). */
export const VALUE = 1;
/** NEW_ENVIRON `ESC` (2). */
export const ESC = 2;
/** NEW_ENVIRON `USERVAR` (3). */
export const USERVAR = 3;
/** CHARSET `REQUEST` (1). */
export const REQUEST = 1;
/** CHARSET `ACCEPTED` (2). */
export const ACCEPTED = 2;
/** CHARSET `REJECTED` (3). */
export const REJECTED = 3;
/** CHARSET `TTABLE-IS` (4). */
export const TTABLE_IS = 4;
/** CHARSET `TTABLE-REJECTED` (5). */
export const TTABLE_REJECTED = 5;
/** CHARSET `TTABLE-ACK` (6). */
export const TTABLE_ACK = 6;
/** CHARSET `TTABLE-NAK` (7). */
export const TTABLE_NAK = 7;
/** LFLOW `OFF` (0). */
export const LFLOW_OFF = 0;
/** LFLOW `ON` (1). */
export const LFLOW_ON = 1;
/** LFLOW `RESTART-ANY` (2). */
export const LFLOW_RESTART_ANY = 2;
/** LFLOW `RESTART-XON` (3). */
export const LFLOW_RESTART_XON = 3;
/** LINEMODE `MODE` (1). */
export const LINEMODE_MODE = 1;
/** LINEMODE `FORWARDMASK` (2). */
export const LINEMODE_FORWARDMASK = 2;
/** LINEMODE `SLC` (3). */
export const LINEMODE_SLC = 3;
/** LINEMODE MODE bit `EDIT` (1). */
export const MODE_EDIT = 1;
/** LINEMODE MODE bit `TRAPSIG` (2). */
export const MODE_TRAPSIG = 2;
/** LINEMODE MODE bit `MODE_ACK` (4). */
export const MODE_ACK = 4;
/** LINEMODE MODE bit `SOFT_TAB` (8). */
export const MODE_SOFT_TAB = 8;
/** LINEMODE MODE bit `LIT_ECHO` (16). */
export const MODE_LIT_ECHO = 16;

// ---- NVT control characters (conch's names) ------------------------------------

/** NUL (0); telnetlib's `theNULL`. */
export const NULL = 0;
/** NUL (0), telnetlib's name. */
export const theNULL = 0;
/** Bell (7). */
export const BEL = 7;
/** Backspace (8). */
export const BS = 8;
/** Horizontal tab (9). */
export const HT = 9;
/** Line feed (10). */
export const LF = 10;
/** Vertical tab (11). */
export const VT = 11;
/** Form feed (12). */
export const FF = 12;
/** Carriage return (13). */
export const CR = 13;

// ---- names ---------------------------------------------------------------------

const NAMES = new Map<number, string>();
// Options first, so that a command of the same value (255: IAC over EXOPL) wins.
for (const [name, value] of Object.entries({
  BINARY,
  ECHO,
  RCP,
  SGA,
  NAMS,
  STATUS,
  TM,
  RCTE,
  NAOL,
  NAOP,
  NAOCRD,
  NAOHTS,
  NAOHTD,
  NAOFFD,
  NAOVTS,
  NAOVTD,
  NAOLFD,
  XASCII,
  LOGOUT,
  BM,
  DET,
  SUPDUP,
  SUPDUPOUTPUT,
  SNDLOC,
  TTYPE,
  EOR,
  TUID,
  OUTMRK,
  TTYLOC,
  VT3270REGIME,
  X3PAD,
  NAWS,
  TSPEED,
  LFLOW,
  LINEMODE,
  XDISPLOC,
  OLD_ENVIRON,
  AUTHENTICATION,
  ENCRYPT,
  NEW_ENVIRON,
  TN3270E,
  XAUTH,
  CHARSET,
  RSP,
  COM_PORT_OPTION,
  SUPPRESS_LOCAL_ECHO,
  TLS,
  KERMIT,
  SEND_URL,
  FORWARD_X,
  MSDP,
  MSSP,
  MCCP_COMPRESS,
  MCCP2_COMPRESS,
  MCCP3_COMPRESS,
  PRAGMA_LOGON,
  SSPI_LOGON,
  PRAGMA_HEARTBEAT,
  GMCP,
  EXOPL,
  xEOF,
  SUSP,
  ABORT,
  CMD_EOR,
  SE,
  NOP,
  DM,
  BRK,
  IP,
  AO,
  AYT,
  EC,
  EL,
  GA,
  SB,
  WILL,
  WONT,
  DO,
  DONT,
  IAC,
})) {
  NAMES.set(value, name);
}

/** Python's repr of a one-byte `bytes`, telnetlib3's fallback name. */
function reprByte(byte: number): string {
  if (byte === 0x5c) return "b'\\\\'";
  if (byte === 0x27) return 'b"\'"';
  if (byte === 0x09) return "b'\\t'";
  if (byte === 0x0a) return "b'\\n'";
  if (byte === 0x0d) return "b'\\r'";
  if (byte >= 0x20 && byte < 0x7f) return `b'${String.fromCharCode(byte)}'`;
  return `b'\\x${byte.toString(16).padStart(2, '0')}'`;
}

/**
 * The name of a telnet command or option byte, for log lines: `'WILL'`,
 * `'NAWS'`, `'IAC'` (255 is named as the command, not as EXOPL). A byte with
 * no name is shown as Python's repr of it (`b'\x07'`), as telnetlib3's
 * `name_command` does. Option and command values do not overlap except at 255;
 * subnegotiation bytes (`IS`, `SEND` ...) share values with options and are
 * named as the option.
 *
 * @example
 * ```ts
 * nameCommand(WILL); // 'WILL'
 * nameCommand(31);   // 'NAWS'
 * ```
 * @throws ArgTypeError / ArgRangeError when `byte` is not an integer 0..255.
 */
export function nameCommand(byte: number): string {
  checkByte('byte', byte);
  return NAMES.get(byte) ?? reprByte(byte);
}

/**
 * The names of a sequence of bytes joined by `sep` (default `' '`), as
 * telnetlib3's `name_commands`: `nameCommands([IAC, DO, ECHO])` is
 * `'IAC DO ECHO'`.
 * @throws ArgTypeError when `bytes` is not a Buffer, Uint8Array or array of bytes.
 */
export function nameCommands(bytes: Buffer | Uint8Array | readonly number[], sep = ' '): string {
  if (!(bytes instanceof Uint8Array) && !Array.isArray(bytes)) {
    throw new ArgTypeError(`bytes must be a Buffer, Uint8Array or array of byte values, got ${describe(bytes)}`);
  }
  checkString('sep', sep);
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i++) out.push(nameCommand(bytes[i]!));
  return out.join(sep);
}

/** Check that `value` is a byte (an integer 0..255). @internal */
export function checkByte(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number')
    throw new ArgTypeError(`${name} must be a byte value (an integer 0..255), got ${describe(value)}`);
  if (!Number.isInteger(value) || value < 0 || value > 255) {
    throw new ArgRangeError(`${name} must be an integer 0..255, got ${describe(value)}`);
  }
}
