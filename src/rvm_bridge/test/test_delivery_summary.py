"""The closing line never claims a delivery that no server acknowledged."""
from rvm_bridge.delivery_summary import summary_text


def _status(state='connected', **delivery):
    d = {
        'stored': 0, 'accepted_fanout': 0, 'awaiting_ack': 0, 'failed': 0, 'queued': 0,
        'dead_lettered': 0, 'dead_letter_reasons': {}, 'in_outbox': 0}
    d.update(delivery)
    return {'state': state, 'delivery': d, 'last_error': 'pusher:error 4301'}


def test_delivered_only_when_everything_was_acknowledged():
    assert 'every durable event delivered (12 stored' in summary_text(_status(stored=12))
    text = summary_text(_status(stored=10, awaiting_ack=2, in_outbox=2))
    assert (
        'delivered' not in text
        and '2 sent awaiting ack' in text
        and '2 durable events remain' in text
    )
    assert '4301' in text


def test_fanout_is_not_called_stored_and_dead_letters_give_reasons():
    text = summary_text(_status(accepted_fanout=5))
    assert 'accepted for fan-out' in text and 'delivered' not in text
    text = summary_text(
        _status(stored=3, dead_lettered=1, dead_letter_reasons={'max_attempts=5 reached': 1}))
    assert '1 dead-lettered (max_attempts=5 reached: 1)' in text and 'delivered' not in text


def test_offline():
    assert (
        summary_text(_status('offline', in_outbox=4))
        == 'no server configured: 4 durable events kept in the outbox'
    )
