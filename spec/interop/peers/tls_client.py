"""A Twisted TLS client for torsion's TLS interop spec (needs pyOpenSSL).

argv: port, the CA certificate PEM file, the host name to verify. Verifies
the server with optionsForClientTLS, sends 64 KiB, waits for them to come
back, closes; reports {"event": "echoed", "received": N} and
{"event": "lost", "reason": ...}, then exits.
"""
import sys

from twisted.internet import reactor, ssl
from twisted.internet.protocol import ClientFactory, Protocol

from _common import pattern, reason_name, report

SIZE = 65536


class Sender(Protocol):
    received = 0

    def connectionMade(self):
        self.transport.write(pattern(SIZE))

    def dataReceived(self, data):
        self.received += len(data)
        if self.received == SIZE:
            report(event="echoed", received=self.received)
            self.transport.loseConnection()

    def connectionLost(self, reason):
        report(event="lost", reason=reason_name(reason), detail=str(reason.value))
        reactor.callLater(0, reactor.stop)


class OneShot(ClientFactory):
    protocol = Sender

    def clientConnectionFailed(self, connector, reason):
        report(event="failed", detail=str(reason.value))
        reactor.stop()


def main():
    port, ca_path, hostname = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    with open(ca_path, "rb") as f:
        ca = ssl.Certificate.loadPEM(f.read())
    options = ssl.optionsForClientTLS(hostname, trustRoot=ca)
    reactor.connectSSL("127.0.0.1", port, OneShot(), options)
    reactor.run()


if __name__ == "__main__":
    main()
