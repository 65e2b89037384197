"""A Twisted UDP client for torsion's interop specs: udp_client.py PORT MSG...

Connects its port to 127.0.0.1:PORT (connected UDP), sends each message,
reports each echo as {"event": "echo", "data": "..."} and then
{"event": "done"}; a refusal is {"event": "refused"}. Exits afterwards.
"""
import sys

from twisted.internet import reactor
from twisted.internet.protocol import DatagramProtocol

from _common import report


class Client(DatagramProtocol):
    def __init__(self, port, messages):
        self.port = port
        self.messages = messages
        self.got = 0

    def startProtocol(self):
        self.transport.connect("127.0.0.1", self.port)
        host = self.transport.getHost()
        report(event="started", port=host.port)
        for m in self.messages:
            self.transport.write(m.encode())

    def datagramReceived(self, data, addr):
        report(event="echo", data=data.decode(), peer=[addr[0], addr[1]])
        self.got += 1
        if self.got == len(self.messages):
            report(event="done")
            reactor.stop()

    def connectionRefused(self):
        report(event="refused")
        reactor.stop()


def main():
    port = int(sys.argv[1])
    reactor.listenUDP(0, Client(port, sys.argv[2:]), interface="127.0.0.1")
    reactor.callLater(10, reactor.stop)
    reactor.run()


if __name__ == "__main__":
    main()
