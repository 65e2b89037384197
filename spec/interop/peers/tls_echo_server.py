"""A Twisted TLS echo server for torsion's TLS interop spec (needs pyOpenSSL).

argv: the PEM file holding the server's key and certificate. Echoes every
byte back over TLS; reports {"event": "handshake", "protocol": "TLSv1.3"}
when a handshake completes and {"event": "lost", "reason": ..., "received": N}.
"""
import sys

from zope.interface import implementer

from twisted.internet import reactor, ssl
from twisted.internet.interfaces import IHandshakeListener
from twisted.internet.protocol import Factory, Protocol

from _common import reason_name, report, stop_when_stdin_closes


@implementer(IHandshakeListener)
class Echo(Protocol):
    received = 0

    def handshakeCompleted(self):
        conn = self.transport.getHandle()
        report(event="handshake", protocol=conn.get_protocol_version_name())

    def dataReceived(self, data):
        self.received += len(data)
        self.transport.write(data)

    def connectionLost(self, reason):
        report(event="lost", reason=reason_name(reason), received=self.received)


def main():
    with open(sys.argv[1], "rb") as f:
        cert = ssl.PrivateCertificate.loadPEM(f.read())
    port = reactor.listenSSL(0, Factory.forProtocol(Echo), cert.options(), interface="127.0.0.1")
    report(event="listening", port=port.getHost().port)
    stop_when_stdin_closes()
    reactor.run()


if __name__ == "__main__":
    main()
