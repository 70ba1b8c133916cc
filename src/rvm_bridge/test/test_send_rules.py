"""The sender's rule table after one send: each row, and the priority of the rows."""
import pytest

from rvm_bridge.delivery.send_rules import RULES, After, SendFacts, after_send


@pytest.mark.parametrize('facts, step', [
    (SendFacts(too_large=True, failed=True, config_error=True), After.SHRINK),   # size first
    (SendFacts(failed=True, config_error=True), After.PAUSE),
    (SendFacts(failed=True), After.BACK_OFF),
    (SendFacts(failed=True, went_out=False), After.BACK_OFF),
    (SendFacts(went_out=False), After.WAIT_A_MOMENT),          # rate limited: nothing out
    (SendFacts(), After.GO_ON),
    (SendFacts(config_error=True), After.GO_ON),               # nothing failed: nothing to pause
])
def test_after_send(facts, step):
    assert after_send(facts) is step


def test_every_step_has_a_row_and_the_last_row_always_holds():
    assert {step for _, step in RULES} == set(After)
    assert RULES[-1][0](SendFacts(went_out=False)) is True
