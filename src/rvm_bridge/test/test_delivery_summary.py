"""The closing line never claims a delivery that no server acknowledged."""
from rvm_bridge.delivery.summary import summary_text


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


def test_the_closing_line_names_a_storage_fault_held_lost_and_integrity_refusals():
    from rvm_bridge.delivery.summary import summary_text
    delivery = {'stored': 3, 'in_outbox': 0, 'dead_lettered': 0, 'unstored': 2,
                'lost_unstored': 1, 'integrity_errors': 1, 'storage': 'disk full'}
    text = summary_text({'state': 'connected', 'delivery': delivery})
    assert 'every durable event delivered' not in text
    assert 'outbox: disk full, 2 events held in memory (not stored)' in text
    assert '1 events LOST: the disk refused them' in text and '1 events refused by an outbox' \
        ' integrity error' in text
    offline = summary_text({'state': 'offline', 'delivery': {**delivery, 'lost_unstored': 0,
                                                             'integrity_errors': 0}})
    assert offline.startswith('no server configured: 0 durable events kept in the outbox; outbox:'
                              ' disk full, 2 events held')
    fine = summary_text({'state': 'connected', 'delivery': {'stored': 3, 'in_outbox': 0,
                                                            'storage': 'ok'}})
    assert 'every durable event delivered (3 stored' in fine
