"""The connection's rule table after a socket ended: each row, and the priority of the rows."""
import pytest

from rvm_bridge.protocol.pusher_protocol import CloseAction
from rvm_bridge.connection.reconnect_rules import RULES, Next, SocketEnd, next_step


@pytest.mark.parametrize('end, step', [
    (SocketEnd(CloseAction.BACKOFF, requested=True), Next.CONNECT_AGAIN),
    (SocketEnd(CloseAction.REFUSED, requested=True), Next.CONNECT_AGAIN),   # the caller wins
    (SocketEnd(CloseAction.REFUSED), Next.REFUSED),
    (SocketEnd(CloseAction.REFUSED, fresh=False), Next.REFUSED),
    (SocketEnd(CloseAction.RECONNECT_NOW), Next.RECONNECT_SOON),
    (SocketEnd(CloseAction.RECONNECT_NOW, fresh=False), Next.BACK_OFF),    # twice in a row
    (SocketEnd(CloseAction.BACKOFF), Next.BACK_OFF),
    (SocketEnd(CloseAction.REPORT), Next.BACK_OFF),
])
def test_next_step(end, step):
    assert next_step(end) is step


def test_every_step_has_a_row_and_the_last_row_always_holds():
    assert {step for _, step in RULES} == set(Next)
    assert RULES[-1][0](SocketEnd(CloseAction.REFUSED)) is True
