"""Secrets never reach a log line: URLs shortened, signatures and tokens replaced."""
import io
import logging

from rvm_common.log_redact import install, redact, shorten_url

SIGNED = ('https://reverb.example:443/apps/42/events?auth_key=KEY&auth_timestamp=1700000000'
          '&auth_version=1.0&body_md5=0123456789abcdef&auth_signature=deadbeefcafe0123456789')


def test_urls_lose_query_and_credentials():
    assert shorten_url(SIGNED) == 'https://reverb.example:443/apps/42/events?…'
    assert shorten_url('rtsp://user:pw@cam.local/stream') == 'rtsp://cam.local/stream'
    assert (
        shorten_url('https://h/' + 'p' * 100).endswith('…')
        and len(shorten_url('https://h/' + 'p' * 100)) < 80
    )


def test_redact_removes_every_known_secret():
    text = redact(
        f'POST {SIGNED} failed; headers Authorization: Bearer abc.def-123 '
        '{"auth": "app-key:9f86d081884c7d65", "channel": "private-rvm.a"} '
        'retry with auth_signature=abc123 password=hunter2 wss://u:pw@ws.example/app/KEY?x=1'
    )
    for secret in (
        'deadbeef', 'abc.def-123', '9f86d081884c7d65', 'abc123', 'hunter2', 'pw@', 'auth_key=KEY',
    ):
        assert secret not in text, secret
    assert (
        'https://reverb.example:443/apps/42/events?…' in text
        and '"channel": "private-rvm.a"' in text
    )
    assert 'wss://ws.example/app/KEY?…' in text


def test_installed_handler_redacts_messages_and_tracebacks():
    out = io.StringIO()
    handler = install(logging.INFO, '%(levelname)s %(message)s', stream=out)
    try:
        log = logging.getLogger('rvm_bridge.test_redact')
        log.warning('send failed: %s', SIGNED)
        try:
            raise RuntimeError(f'HTTPError for url: {SIGNED}')
        except RuntimeError:
            log.exception('boom')
    finally:
        logging.getLogger().removeHandler(handler)
    text = out.getvalue()
    assert 'WARNING send failed: https://reverb.example:443/apps/42/events?…' in text
    assert 'RuntimeError: HTTPError for url: https://reverb.example:443/apps/42/events?…' in text
    assert 'deadbeef' not in text
