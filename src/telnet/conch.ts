/**
 * conch's layer of `torsion/telnet`: the byte constants, `nameCommand`,
 * the `Telnet` IAC state machine with RFC 1143 negotiation, and
 * `TelnetTransport`/`TelnetProtocol`.
 * @module
 */
export * from './conch/constants';
export {
  Telnet,
  escapeIac,
  type OptionSide,
  type OptionSideName,
  type OptionState,
  type ParseState,
  type QQueue,
  type QState,
} from './conch/telnet';
export { TelnetProtocol, TelnetTransport, type ITelnetTransport } from './conch/transport';
export { AlreadyDisabled, AlreadyEnabled, AlreadyNegotiating, NegotiationError, OptionRefused, TelnetError } from '../errors';
