"""A Twisted UNIX-socket client for torsion's interop specs (unix).

argv: PATH N [checkPID 0|1]. Connects with reactor.connectUNIX, sends N
bytes of the shared pattern, half-closes nothing: it waits until all N came
back, checks them, then loses the connection. Prints {"event": "connected",
"peer": ..., "host": ...}, {"event": "done", "ok": true, "received": N} or
{"event": "failed", "reason": "BadFileError"}, and exits.
"""
import sys

from twisted.internet import reactor
from twisted.internet.protocol import ClientFactory, Protocol

from _common import pattern, reason_name, report


def _name(addr):
    name = addr.name
    if isinstance(name, bytes):
        name = name.decode()
    return name


class Sender(Protocol):
    def __init__(self, n):
        self.n = n
        self.data = pattern(n)
        self.chunks = []
        self.received = 0

    def connectionMade(self):
        report(event="connected", peer=_name(self.transport.getPeer()), host=_name(self.transport.getHost()))
        self.transport.write(self.data)

    def dataReceived(self, data):
        self.chunks.append(data)
        self.received += len(data)
        if self.received >= self.n:
            report(event="done", ok=b"".join(self.chunks) == self.data, received=self.received)
            self.transport.loseConnection()


class SenderFactory(ClientFactory):
    def __init__(self, n):
        self.n = n

    def buildProtocol(self, addr):
        return Sender(self.n)

    def clientConnectionFailed(self, connector, reason):
        report(event="failed", reason=reason_name(reason))
        reactor.stop()

    def clientConnectionLost(self, connector, reason):
        report(event="lost", reason=reason_name(reason))
        reactor.stop()


def main():
    path, n = sys.argv[1], int(sys.argv[2])
    check_pid = len(sys.argv) > 3 and sys.argv[3] == "1"
    reactor.connectUNIX(path, SenderFactory(n), timeout=10, checkPID=check_pid)
    reactor.run()


if __name__ == "__main__":
    main()
