"""Twisted's own port forwarder for torsion's interop specs.

Usage: portforward.py DEST_PORT. Listens on 127.0.0.1 port 0 with
twisted.protocols.portforward.ProxyFactory('127.0.0.1', DEST_PORT) and
prints {"event": "listening", "port": N}.
"""
import sys

from twisted.internet import reactor
from twisted.protocols.portforward import ProxyFactory

from _common import report, stop_when_stdin_closes


def main():
    dest = int(sys.argv[1])
    port = reactor.listenTCP(0, ProxyFactory("127.0.0.1", dest), interface="127.0.0.1")
    report(event="listening", port=port.getHost().port)
    stop_when_stdin_closes()
    reactor.run()


if __name__ == "__main__":
    main()
