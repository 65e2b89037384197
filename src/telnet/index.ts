/**
 * Telnet: conch's `Telnet` IAC state machine with RFC 1143 negotiation and
 * its `TelnetTransport`/`TelnetProtocol`, and telnetlib3's clients and
 * servers with reader/writer streams and a shell.
 * @module torsion/telnet
 */
export * from './conch';
export * from './telnetlib3';
