"""What the sender hands a transport (:class:`WireEvent`) and gets back (:class:`SendOutcome`).

A transport reports, per event key, exactly what the server said:

* ``accepted``  - the server took it without an error (HTTP 2xx with a non-error body;
  a client event followed by a pong with no ``pusher:error`` in between).  For a durable
  client event this is *not* a delivery: the row waits for the stored acknowledgement;
* ``stored``    - the server says it stored it (the ``api`` transport's ``{"stored": [...]}``);
* ``retry``     - failed, retryable (network, 5xx, 429, ``pusher:error``, no pong);
* ``rejected``  - refused for good; only ever used for ``latest`` events (a durable row is
  never dead-lettered by a transport, only by the operator's outbox rules).

``config_error`` marks answers that retrying unchanged cannot fix (401/403/404, client events
disabled): the route pauses with ``error`` as its status.  ``too_large`` marks 413 / close 1009 /
"payload too large": the sender halves the batch, then re-trims the payload.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Hashable


@dataclass(frozen=True)
class WireEvent:
    """One event ready for the wire; ``key`` names it for the caller (outbox seq, latest key)."""

    key: Hashable
    channel: str
    event: str
    data: str
    event_id: str = ''


@dataclass
class SendOutcome:
    """What happened to the events of one ``send`` call (see the module doc)."""

    accepted: list[Hashable] = field(default_factory=list)
    stored: list[Hashable] = field(default_factory=list)
    retry: list[Hashable] = field(default_factory=list)
    rejected: list[tuple[Hashable, str]] = field(default_factory=list)
    error: str = ''
    config_error: bool = False
    too_large: bool = False
    largest: int = 0          # bytes of the largest request/frame when too_large

    def done(self) -> list[Hashable]:
        """Keys the server took (accepted or stored)."""
        return self.accepted + self.stored
