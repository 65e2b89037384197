"""A Twisted LineReceiver server for torsion's interop specs.

Lines end with b"\r\n" (LineReceiver's default delimiter). For each line
it answers b"<length> <the line reversed>". b"QUIT" makes it close the
connection. b"SEND <n> <size>" makes it send n lines of size bytes of
b"x" in one write, to test framing of a burst on the torsion side.
"""
from twisted.internet import reactor
from twisted.internet.protocol import Factory
from twisted.protocols.basic import LineReceiver

from _common import reason_name, report, stop_when_stdin_closes


class Lines(LineReceiver):
    MAX_LENGTH = 4 * 1024 * 1024

    def connectionMade(self):
        self.count = 0

    def lineReceived(self, line):
        self.count += 1
        if line == b"QUIT":
            self.transport.loseConnection()
        elif line.startswith(b"SEND "):
            _, n, size = line.split(b" ")
            self.transport.write(b"".join(b"x" * int(size) + b"\r\n" for _ in range(int(n))))
        else:
            self.sendLine(b"%d %s" % (len(line), line[::-1]))

    def lineLengthExceeded(self, line):
        report(event="too-long", length=len(line))
        return LineReceiver.lineLengthExceeded(self, line)

    def connectionLost(self, reason):
        report(event="lost", reason=reason_name(reason), lines=self.count)


def main():
    port = reactor.listenTCP(0, Factory.forProtocol(Lines), interface="127.0.0.1")
    report(event="listening", port=port.getHost().port)
    stop_when_stdin_closes()
    reactor.run()


if __name__ == "__main__":
    main()
