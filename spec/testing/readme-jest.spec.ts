// The README's "Testing your own protocols with jest" example, kept here so
// that it is proven to work, with the README's imports (jest.config.js maps
// 'torsion/...' to the sources).
import { LineOnlyReceiver } from 'torsion/protocols/basic';
import { StringTransport } from 'torsion/testing';

/** Answers each line in upper case; hangs up on "quit". */
class Upper extends LineOnlyReceiver {
  override lineReceived(line: Buffer): void {
    const text = line.toString();
    if (text === 'quit') this.transport!.loseConnection();
    else this.sendLine(Buffer.from(text.toUpperCase()));
  }
}

test('Upper answers each line, however the bytes arrive', () => {
  const transport = new StringTransport();
  const proto = new Upper();
  proto.makeConnection(transport);
  proto.dataReceived(Buffer.from('hel'));
  proto.dataReceived(Buffer.from('lo\r\nworld\r\n'));
  expect(transport.value().toString()).toBe('HELLO\r\nWORLD\r\n');
  proto.dataReceived(Buffer.from('quit\r\n'));
  expect(transport.disconnecting).toBe(true);
});
