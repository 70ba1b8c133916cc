"""What the sender does with a route after one send: one rule table, no I/O.

:func:`after_send` reads the facts of one :class:`~rvm_bridge.delivery.send_outcome.SendOutcome`
(:class:`SendFacts`) and returns the :class:`After` step;
:class:`~rvm_bridge.delivery.sender.Sender` carries it out (outbox, ack tracker, backoff, pause).
The first row whose condition holds wins.

=============  ==============================================  ===================================
after          condition (first match wins)                    the sender then
=============  ==============================================  ===================================
shrink         the server refused the size (413, 1009, ...)    halves the batch; at one event
                                                               lowers its limit and re-trims it
pause          rows failed and retrying cannot fix it          keeps the rows, pauses the route
               (401/403/404, client events disabled)           for config_retry_s
back_off       rows failed or were refused, or nothing was     keeps the rows (attempts + 1),
               taken and something must be retried             retries after the route's backoff
wait_a_moment  nothing went out and nothing failed (rate       tries again in 50 ms
               limit of the client-event bucket)
go_on          the server took events (or latest ones were     resets the backoff, lets the
               dropped)                                        batch grow back
=============  ==============================================  ===================================

Whatever the step, rows the server stored leave the outbox and rows it accepted wait for their
stored acknowledgement (client events) or leave (HTTP: accepted for fan-out); a durable row is
never dead-lettered by a server's answer.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Callable


class After(Enum):
    """The sender's step for a route after one send."""

    SHRINK = 'shrink'
    PAUSE = 'pause'
    BACK_OFF = 'back_off'
    WAIT_A_MOMENT = 'wait_a_moment'
    GO_ON = 'go_on'


@dataclass(frozen=True)
class SendFacts:
    """The facts :func:`after_send` decides on."""

    too_large: bool = False      # the server refused the size
    failed: bool = False         # durable rows to retry (failed, refused, or nothing taken)
    config_error: bool = False   # retrying unchanged cannot fix it
    went_out: bool = True        # the server answered something (taken, retry, rejected)


#: (condition, step), in priority order; the table of the module docstring
RULES: tuple[tuple[Callable[[SendFacts], bool], After], ...] = (
    (lambda f: f.too_large, After.SHRINK),
    (lambda f: f.failed and f.config_error, After.PAUSE),
    (lambda f: f.failed, After.BACK_OFF),
    (lambda f: not f.went_out, After.WAIT_A_MOMENT),
    (lambda f: True, After.GO_ON),
)


def after_send(facts: SendFacts) -> After:
    """The first rule of :data:`RULES` whose condition holds for ``facts``."""
    return next(step for condition, step in RULES if condition(facts))
