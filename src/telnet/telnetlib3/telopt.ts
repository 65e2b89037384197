/**
 * The telnet byte constants this layer uses. They are conch's (`../conch`),
 * which exports them publicly; this module only gathers the ones the
 * telnetlib3 layer needs, plus RFC 1184's SLC table, which is private here.
 * @module
 * @internal
 */
export const IAC = 255,
  DONT = 254,
  DO = 253,
  WONT = 252,
  WILL = 251,
  SB = 250,
  GA = 249,
  SE = 240,
  CMD_EOR = 239,
  NOP = 241;
export const BINARY = 0,
  ECHO = 1,
  SGA = 3,
  STATUS = 5,
  TM = 6,
  TTYPE = 24,
  EOR = 25,
  NAWS = 31,
  TSPEED = 32,
  LFLOW = 33,
  LINEMODE = 34,
  XDISPLOC = 35,
  NEW_ENVIRON = 39,
  CHARSET = 42;
export const IS = 0,
  SEND = 1,
  INFO = 2;
export const VAR = 0,
  VALUE = 1,
  ESC = 2,
  USERVAR = 3;
export const REQUEST = 1,
  ACCEPTED = 2,
  REJECTED = 3,
  TTABLE_IS = 4,
  TTABLE_REJECTED = 5;
export const LINEMODE_MODE = 1,
  LINEMODE_FORWARDMASK = 2,
  LINEMODE_SLC = 3;
export const MODE_EDIT = 1,
  MODE_TRAPSIG = 2,
  MODE_ACK = 4,
  MODE_SOFT_TAB = 8,
  MODE_LIT_ECHO = 16;

// RFC 1184 special line characters
export const SLC_NOSUPPORT = 0,
  SLC_CANTCHANGE = 1,
  SLC_VARIABLE = 2,
  SLC_DEFAULT = 3,
  SLC_LEVELBITS = 3;
export const SLC_ACK = 0x80,
  SLC_FLUSHIN = 0x40,
  SLC_FLUSHOUT = 0x20;
