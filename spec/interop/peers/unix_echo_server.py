"""A Twisted UNIX-socket echo server for torsion's interop specs (unix).

argv: PATH [wantPID 0|1]. Listens with reactor.listenUNIX(PATH, mode=0o600),
prints {"event": "listening", "path": PATH, "pid": N}, echoes every byte,
reports each connection (what buildProtocol and getPeer gave) and how it
ended: {"event": "lost", "reason": "ConnectionDone", "received": N}.
"""
import sys

from twisted.internet import reactor
from twisted.internet.protocol import Factory, Protocol

from _common import reason_name, report, stop_when_stdin_closes


def _name(addr):
    name = addr.name
    if isinstance(name, bytes):
        name = name.decode()
    return name


class Echo(Protocol):
    received = 0

    def connectionMade(self):
        report(event="connected", peer=_name(self.transport.getPeer()), host=_name(self.transport.getHost()))

    def dataReceived(self, data):
        self.received += len(data)
        self.transport.write(data)

    def connectionLost(self, reason):
        report(event="lost", reason=reason_name(reason), received=self.received)


class EchoFactory(Factory):
    protocol = Echo

    def buildProtocol(self, addr):
        report(event="build", addr=_name(addr))
        return Factory.buildProtocol(self, addr)


def main():
    path = sys.argv[1]
    want_pid = len(sys.argv) > 2 and sys.argv[2] == "1"
    port = reactor.listenUNIX(path, EchoFactory(), mode=0o600, wantPID=want_pid)
    report(event="listening", path=_name(port.getHost()), pid=__import__("os").getpid())
    stop_when_stdin_closes()
    reactor.run()


if __name__ == "__main__":
    main()
