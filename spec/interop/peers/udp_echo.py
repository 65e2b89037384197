"""A Twisted UDP echo server for torsion's interop specs.

Sends every datagram back to its sender and reports it:
{"event": "datagram", "size": N, "peer": [host, port]}.
With the argument "ipv6" it listens on ::1 instead of 127.0.0.1.
"""
import sys

from twisted.internet import reactor
from twisted.internet.protocol import DatagramProtocol

from _common import report, stop_when_stdin_closes


class Echo(DatagramProtocol):
    def datagramReceived(self, data, addr):
        report(event="datagram", size=len(data), peer=[addr[0], addr[1]])
        self.transport.write(data, addr)


def main():
    iface = "::1" if sys.argv[1:] == ["ipv6"] else "127.0.0.1"
    port = reactor.listenUDP(0, Echo(), interface=iface)
    report(event="listening", port=port.getHost().port)
    stop_when_stdin_closes()
    reactor.run()


if __name__ == "__main__":
    main()
