"""Shared plumbing of the Twisted peers that torsion's interop specs start.

Every peer prints one JSON object per line on stdout, flushed at once, so
the spec can follow what the real Twisted saw. Servers listen on
127.0.0.1 port 0, print {"event": "listening", "port": N}, and stop when
their stdin closes, so a spec that dies never leaves a peer behind.
"""
import json
import sys

from twisted.internet import reactor, stdio
from twisted.internet.protocol import Protocol


def report(**fields):
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def reason_name(reason):
    """The class name of a connectionLost reason (ConnectionDone, ConnectionLost...)."""
    return reason.type.__name__


class _StopOnStdinClose(Protocol):
    def connectionLost(self, reason):
        if reactor.running:
            reactor.stop()


def stop_when_stdin_closes():
    stdio.StandardIO(_StopOnStdinClose())


_PERIOD = 251 * 256


def pattern(n):
    """n bytes of the deterministic pattern both sides use: byte i is (i * 7 + i // 251) % 256.

    It repeats every 251 * 256 bytes, so one period is built and tiled.
    """
    block = bytes((i * 7 + i // 251) % 256 for i in range(_PERIOD))
    return (block * (n // _PERIOD + 1))[:n]
