"""A Twisted client for torsion's interop specs: python3 client.py PORT MODE [ARG].

MODE "echo" ARG=N: send N pattern bytes (in 64 KiB writes through a
producer-free writeSequence), expect the same N bytes back, then close.
Prints {"event": "echo", "sent": N, "received": M, "match": bool}.

MODE "lines": talk to a line server that answers b"<length> <reversed>"
(the same contract as line_server.py), send a few lines including an empty
one and a long one in odd chunks, check every answer, then send QUIT and
expect the server to close. Prints {"event": "lines", "answers": [...], "ok": bool}.

Always prints {"event": "lost", "reason": ...} and exits 0 when the
exchange matched, 1 otherwise (2 on a connection failure).
"""
import sys

from twisted.internet import reactor
from twisted.internet.protocol import ClientFactory, Protocol
from twisted.protocols.basic import LineReceiver

from _common import pattern, reason_name, report

result = {"ok": False}


class EchoClient(Protocol):
    def __init__(self, n):
        self.expected = pattern(n)
        self.chunks = []
        self.received = 0

    def connectionMade(self):
        data = self.expected
        self.transport.writeSequence([data[i:i + 65536] for i in range(0, len(data), 65536)])

    def dataReceived(self, data):
        self.chunks.append(data)
        self.received += len(data)
        if self.received >= len(self.expected):
            match = b"".join(self.chunks) == self.expected
            report(event="echo", sent=len(self.expected), received=self.received, match=match)
            result["ok"] = match
            self.transport.loseConnection()

    def connectionLost(self, reason):
        report(event="lost", reason=reason_name(reason))


LINES = [b"hello", b"", b"torsion \xe2\x9c\x93", b"y" * 100000]


class LinesClient(LineReceiver):
    MAX_LENGTH = 4 * 1024 * 1024

    def connectionMade(self):
        self.answers = []
        # Odd chunking: the whole request stream cut every 7 bytes.
        stream = b"".join(line + b"\r\n" for line in LINES)
        self.transport.writeSequence([stream[i:i + 7] for i in range(0, len(stream), 7)])

    def lineReceived(self, line):
        self.answers.append(line)
        if len(self.answers) == len(LINES):
            expected = [b"%d %s" % (len(l), l[::-1]) for l in LINES]
            ok = self.answers == expected
            report(event="lines", answers=[a[:40].decode("utf-8", "replace") for a in self.answers], ok=ok)
            result["ok"] = ok
            self.sendLine(b"QUIT")

    def connectionLost(self, reason):
        report(event="lost", reason=reason_name(reason))


class OneShot(ClientFactory):
    def __init__(self, make):
        self.make = make

    def buildProtocol(self, addr):
        p = self.make()
        p.factory = self
        return p

    def clientConnectionLost(self, connector, reason):
        reactor.stop()

    def clientConnectionFailed(self, connector, reason):
        report(event="failed", reason=reason_name(reason))
        result["failed"] = True
        reactor.stop()


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    if mode == "echo":
        n = int(sys.argv[3])
        factory = OneShot(lambda: EchoClient(n))
    elif mode == "lines":
        factory = OneShot(LinesClient)
    else:
        raise SystemExit("unknown mode %r" % mode)
    reactor.connectTCP("127.0.0.1", port, factory, timeout=10)
    reactor.run()
    sys.exit(2 if result.get("failed") else 0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
