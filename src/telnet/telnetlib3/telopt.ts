/**
 * The telnet byte constants this layer uses: conch's (which `torsion/telnet`
 * exports), plus RFC 1184's SLC levels and flags, private here.
 * @module
 */
export {
  IAC,
  DONT,
  DO,
  WONT,
  WILL,
  SB,
  GA,
  SE,
  CMD_EOR,
  NOP,
  BINARY,
  ECHO,
  SGA,
  STATUS,
  TM,
  TTYPE,
  EOR,
  NAWS,
  TSPEED,
  LFLOW,
  LINEMODE,
  XDISPLOC,
  NEW_ENVIRON,
  CHARSET,
  IS,
  SEND,
  INFO,
  VAR,
  VALUE,
  ESC,
  USERVAR,
  REQUEST,
  ACCEPTED,
  REJECTED,
  TTABLE_IS,
  TTABLE_REJECTED,
  LINEMODE_MODE,
  LINEMODE_FORWARDMASK,
  LINEMODE_SLC,
  MODE_EDIT,
  MODE_TRAPSIG,
  MODE_ACK,
  MODE_SOFT_TAB,
  MODE_LIT_ECHO,
} from '../conch/constants';

// RFC 1184 special line characters: levels, then flag bits.
export const SLC_NOSUPPORT = 0;
export const SLC_CANTCHANGE = 1;
export const SLC_VARIABLE = 2;
export const SLC_DEFAULT = 3;
export const SLC_LEVELBITS = 3;
export const SLC_ACK = 0x80;
export const SLC_FLUSHIN = 0x40;
export const SLC_FLUSHOUT = 0x20;
