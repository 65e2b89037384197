"""A Twisted echo server for torsion's interop specs.

Echoes every byte back. Reports each connection and how it ended:
{"event": "lost", "reason": "ConnectionDone", "received": N}.
"""
from twisted.internet import reactor
from twisted.internet.protocol import Factory, Protocol

from _common import reason_name, report, stop_when_stdin_closes


class Echo(Protocol):
    received = 0

    def connectionMade(self):
        peer = self.transport.getPeer()
        report(event="connected", peer=[peer.host, peer.port])

    def dataReceived(self, data):
        self.received += len(data)
        self.transport.write(data)

    def connectionLost(self, reason):
        report(event="lost", reason=reason_name(reason), received=self.received)


def main():
    port = reactor.listenTCP(0, Factory.forProtocol(Echo), interface="127.0.0.1")
    report(event="listening", port=port.getHost().port)
    stop_when_stdin_closes()
    reactor.run()


if __name__ == "__main__":
    main()
