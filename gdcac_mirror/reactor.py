"""The Twisted reactor the mirror server runs on, typed by the calls the server makes on it.

Twisted declares ``twisted.internet.reactor`` through zope interfaces, whose methods have no ``self``, so a
type checker without zope's plugin reads every call on it wrongly; these protocols say what the server calls
(:meth:`Reactor.listenTCP` and :meth:`Reactor.run` in :mod:`gdcac_mirror.server`, :meth:`Reactor.callLater`
for the ``slow`` fault in :mod:`gdcac_mirror.faults`), with the types Twisted documents.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, cast

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.web.server import Site

__all__ = ["DelayedCall", "ListeningPort", "Reactor", "installed_reactor"]


class DelayedCall(Protocol):
    """A call scheduled by :meth:`Reactor.callLater`."""

    def active(self) -> bool: ...

    def cancel(self) -> None: ...


class ListeningPort(Protocol):
    """A TCP port listened on by :meth:`Reactor.listenTCP`."""

    def getHost(self) -> IPv4Address | IPv6Address: ...


class Reactor(Protocol):
    """The reactor's methods the mirror calls."""

    def callLater(self, delay: float, callable: Callable[..., object], /, *args: object) -> DelayedCall: ...

    def listenTCP(self, port: int, factory: Site, backlog: int = 50, interface: str = "") -> ListeningPort: ...

    def run(self) -> None: ...


def installed_reactor() -> Reactor:
    """The global reactor (importing it installs Twisted's default reactor if none is installed yet)."""
    from twisted.internet import reactor

    return cast(Reactor, reactor)
