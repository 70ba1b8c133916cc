"""`rvm-edge run --dashboard`: the main command starts its own Soketi and dashboard.

It prints the URL, waits for the first viewer, and a browser opening it sees items appear;
Ctrl-C / SIGTERM / SIGHUP leave no Soketi behind."""

from __future__ import annotations

import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
EXTRA_ARGS: list[str] = []             # e.g. another --model / --params when trying things by hand
pytestmark = pytest.mark.slow


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(('127.0.0.1', port)) == 0


@pytest.mark.parametrize('stop_signal', [signal.SIGINT, signal.SIGTERM])
def test_dashboard_flag_shows_items_and_cleans_up(browser, tmp_path, stop_signal):
    cmd = [
        sys.executable, '-m', 'rvm_bringup.runner', 'run', '--source', 'sample', '--dashboard',
        '--realtime', '--max-frames', '240', '--linger', '120', '--outbox',
        str(tmp_path / 'outbox.sqlite3'), *EXTRA_ARGS]
    proc = subprocess.Popen(
        cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    try:
        url = None
        deadline = time.monotonic() + 90
        while url is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            seen.append(line)
            if line.startswith('dashboard: '):
                url = line.split(' ', 1)[1].strip()
        assert url, 'no dashboard URL printed:\n' + ''.join(seen)
        soketi_port = int(parse_qs(urlsplit(url).query)['port'][0])
        http_port = urlsplit(url).port

        assert read_until(lines, seen, 'waiting for the first dashboard viewer', proc), ''.join(
            seen)
        browser.call('open', url=url)
        browser.wait("document.getElementById('conn-state').textContent === 'connected'")
        browser.wait("document.querySelector('#verdicts .verdict') !== null", timeout=240)
        browser.wait("document.getElementById('health').innerText.includes('%')", timeout=30)
        browser.wait("document.querySelector('#machines .state') !== null", timeout=30)
        assert browser.call(
            'eval', expression="document.querySelector('#verdicts .verdict').dataset.category")

        proc.send_signal(stop_signal)
        # 130: Ctrl-C, 143: SIGTERM, both after cleanup
        assert proc.wait(60) == 128 + stop_signal
        assert not port_open(soketi_port) and not port_open(http_port)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        while not lines.empty():
            seen.append(lines.get())
        print('--- rvm-edge run --dashboard output ---\n' + ''.join(seen[-60:]))


def read_until(
    lines: queue.Queue, seen: list[str], prefix: str, proc, timeout: float = 90
) -> str | None:
    """The first output line starting with ``prefix`` (None when the run ends or time runs out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        seen.append(line)
        if line.startswith(prefix):
            return line
    return None


def test_dashboard_waits_for_the_first_viewer_and_sighup_cleans_up(tmp_path, pusher_listener):
    """Without --no-wait the run starts once a page has subscribed; SIGHUP ends it and its Soketi.

    SIGHUP is what closing the terminal sends. A Pusher client subscribing like the page stands in
    for the browser."""
    cmd = [
        sys.executable, '-m', 'rvm_bringup.runner', 'run', '--dashboard', '--realtime',
        '--max-frames', '2000', '--linger', '0', '--outbox', str(tmp_path / 'outbox.sqlite3')]
    proc = subprocess.Popen(
        cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    try:
        url = read_until(lines, seen, 'dashboard: ', proc)
        assert url, ''.join(seen)
        query = parse_qs(urlsplit(url.split(' ', 1)[1].strip()).query)
        soketi_port, http_port = int(query['port'][0]), urlsplit(url.split(' ', 1)[1].strip()).port
        assert read_until(lines, seen, 'waiting for the first dashboard viewer', proc), ''.join(
            seen)

        server = type(
            'Server', (), {'host': '127.0.0.1', 'port': soketi_port, 'key': query['key'][0]})
        pusher_listener(server, ['rvm-status'])                       # the page's public channel
        assert read_until(lines, seen, 'dashboard viewer connected', proc, timeout=30), ''.join(
            seen)

        proc.send_signal(signal.SIGHUP)
        assert proc.wait(60) == 128 + signal.SIGHUP, ''.join(seen)
        assert not port_open(soketi_port) and not port_open(http_port)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        while not lines.empty():
            seen.append(lines.get())
        print('--- rvm-edge run --dashboard output ---\n' + ''.join(seen[-40:]))
