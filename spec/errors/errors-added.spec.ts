import * as E from '../../src/errors';

describe('errors added for the next capabilities', () => {
  const cases: Array<[Error, string, Array<abstract new (...a: never[]) => Error>]> = [
    [new E.ConnectionError(), 'ERR_CONNECTION', [E.TorsionError]],
    [new E.ClientClosedError(), 'ERR_CLIENT_CLOSED', [E.ConnectionError]],
    [new E.ConnectionDone(), 'ERR_CONNECTION_DONE', [E.ConnectionClosed, E.ConnectionError]],
    [new E.ConnectionAborted(), 'ERR_CONNECTION_ABORTED', [E.ConnectionLost, E.ConnectionError]],
    [new E.IncompleteReadError(Buffer.from('ab'), 5), 'ERR_INCOMPLETE_READ', [E.TorsionError]],
    [new E.DeserializeError(), 'ERR_DESERIALIZE', [E.TorsionError]],
    [new E.IncrementalDeserializeError('x', Buffer.alloc(0)), 'ERR_INCREMENTAL_DESERIALIZE', [E.DeserializeError]],
    [new E.LimitOverrunError('x', 3), 'ERR_LIMIT_OVERRUN', [E.IncrementalDeserializeError, E.DeserializeError]],
    [new E.PacketConversionError(), 'ERR_PACKET_CONVERSION', [E.TorsionError]],
    [new E.BaseProtocolParseError(new E.DeserializeError()), 'ERR_PROTOCOL_PARSE', [E.TorsionError]],
    [
      new E.StreamProtocolParseError(Buffer.alloc(0), new E.IncrementalDeserializeError('x', Buffer.alloc(0))),
      'ERR_STREAM_PROTOCOL_PARSE',
      [E.BaseProtocolParseError],
    ],
    [new E.DatagramProtocolParseError(new E.DeserializeError(), null), 'ERR_DATAGRAM_PROTOCOL_PARSE', [E.BaseProtocolParseError]],
    [new E.UnicodeDecodeError('utf-8', Buffer.from([0xff])), 'ERR_UNICODE_DECODE', [E.TorsionError]],
    [new E.UnicodeEncodeError('ascii', 'é'), 'ERR_UNICODE_ENCODE', [E.TorsionError]],
    [new E.MessageLengthError(70000, 65507), 'ERR_MESSAGE_LENGTH', [E.TorsionError]],
    [new E.MulticastJoinError('224.0.0.1', ''), 'ERR_MULTICAST_JOIN', [E.TorsionError]],
    [new E.InvalidAddressError('example.com'), 'ERR_INVALID_ADDRESS', [E.TorsionError]],
    [new E.BadFileError('/nope'), 'ERR_BAD_FILE', [E.ConnectError]],
    [new E.SSLError('verify', { verifyError: 'CERT_HAS_EXPIRED' }), 'ERR_SSL', [E.ConnectError]],
    [new E.CertificateError(), 'ERR_CERTIFICATE', [E.TorsionError]],
    [new E.ProcessExitedAlready(), 'ERR_PROCESS_EXITED_ALREADY', [E.TorsionError]],
    [new E.FeatureUnavailableError('usePTY', 'install node-pty'), 'ERR_FEATURE_UNAVAILABLE', [E.TorsionError]],
    [new E.NativeAddonUnavailableError('addReader', 'not built'), 'ERR_NATIVE_ADDON_UNAVAILABLE', [E.FeatureUnavailableError]],
    [new E.TelnetError(), 'ERR_TELNET', [E.TorsionError]],
    [new E.NegotiationError(24), 'ERR_TELNET_NEGOTIATION', [E.TelnetError]],
    [new E.OptionRefused(24), 'ERR_TELNET_OPTION_REFUSED', [E.NegotiationError]],
    [new E.AlreadyEnabled(24), 'ERR_TELNET_ALREADY_ENABLED', [E.NegotiationError]],
    [new E.AlreadyDisabled(24), 'ERR_TELNET_ALREADY_DISABLED', [E.NegotiationError]],
    [new E.AlreadyNegotiating(24), 'ERR_TELNET_ALREADY_NEGOTIATING', [E.NegotiationError]],
  ];
  it.each(cases.map((c) => [c[0].constructor.name, ...c] as const))(
    '%s has its code, name and family',
    (name, err, code, bases) => {
      expect(err.name).toBe(name);
      expect((err as E.TorsionError).code).toBe(code);
      expect(err).toBeInstanceOf(E.TorsionError);
      for (const b of bases) expect(err).toBeInstanceOf(b);
      expect(err.message.length).toBeGreaterThan(0);
    },
  );

  it('keeps the fields the contract lists', () => {
    const ir = new E.IncompleteReadError(Buffer.from('ab'), 5);
    expect(ir.partial.toString()).toBe('ab');
    expect(ir.expected).toBe(5);
    const lo = new E.LimitOverrunError('too long', 7);
    expect(lo.consumed).toBe(7);
    expect(lo.remainingData.length).toBe(0);
    const ssl = new E.SSLError('verify', { verifyError: 'CERT_HAS_EXPIRED', cause: new Error('x') });
    expect(ssl.reason).toBe('verify');
    expect(ssl.verifyError).toBe('CERT_HAS_EXPIRED');
    expect(ssl.cause).toBeInstanceOf(Error);
    const mj = new E.MulticastJoinError('239.1.1.1', '127.0.0.1');
    expect(mj.group).toBe('239.1.1.1');
    expect(mj.interface).toBe('127.0.0.1');
    const na = new E.NativeAddonUnavailableError('addReader', 'TORSION_NO_NATIVE=1');
    expect(na.feature).toBe('addReader');
    expect(na.reason).toBe('TORSION_NO_NATIVE=1');
    expect(na.message).toMatch(/build:native/);
    const pt = new E.ProcessTerminated(2, null, { status: 512 });
    expect(pt.status).toBe(512);
    expect(new E.ProcessTerminated(null, 'SIGTERM').status).toBeNull();
  });
});
