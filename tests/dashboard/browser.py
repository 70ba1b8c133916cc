"""Python side of browser.mjs: a headless Debian chromium the test drives step by step."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
CHROMIUM = Path('/usr/bin/chromium')


class BrowserError(AssertionError):
    """A browser command failed (the message carries the page's recent console lines)."""


def browser_missing() -> str | None:
    """Why the browser cannot run here, or None."""
    if not CHROMIUM.exists():
        return f'{CHROMIUM} missing: run scripts/setup (apt chromium)'
    if (
        shutil.which('node') is None
        or not (REPO_ROOT / 'node_modules' / 'playwright-core').is_dir()
    ):
        return 'node or playwright-core missing: run scripts/setup'
    return None


class Browser:
    """One chromium, fresh user-data-dir; ``call`` sends one command and returns its result."""

    def __init__(self) -> None:
        self._profile = tempfile.mkdtemp(prefix='rvm-chromium-')
        self._proc = subprocess.Popen(
            [shutil.which('node'), str(HERE / 'browser.mjs'), '--user-data-dir', self._profile,
             '--executable', str(CHROMIUM)],
            cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, bufsize=1)
        self.page_log: list[dict[str, Any]] = []
        self._replies: dict[int, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self._next_id = 0
        self._stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(
            target=lambda: self._stderr.extend(self._proc.stderr), daemon=True).start()

    def _read(self) -> None:
        for line in self._proc.stdout:
            try:
                msg = json.loads(line)
            except ValueError:
                msg = {'kind': 'unparsed', 'text': line.rstrip()}
            with self._cond:
                if 'id' in msg and msg.get('kind') is None:
                    self._replies[msg['id']] = msg
                else:
                    self.page_log.append(msg)
                self._cond.notify_all()

    def call(self, cmd: str, timeout: float = 30.0, **args: Any) -> Any:
        """Run one command (see browser.mjs) and return its result; BrowserError on failure."""
        with self._cond:
            self._next_id += 1
            ident = self._next_id
        self._proc.stdin.write(json.dumps({'id': ident, 'cmd': cmd, **args}) + '\n')
        self._proc.stdin.flush()
        with self._cond:
            if not self._cond.wait_for(
                lambda: ident in self._replies or self._proc.poll() is not None, timeout
            ):
                raise BrowserError(f'{cmd}: no answer in {timeout} s{self._context()}')
            reply = self._replies.pop(ident, None)
        if reply is None:
            raise BrowserError(f'{cmd}: browser process exited{self._context()}')
        if not reply['ok']:
            raise BrowserError(f'{cmd} {args}: {reply["error"]}{self._context()}')
        return reply['result']

    def wait(self, expression: str, timeout: float = 15.0) -> Any:
        """Wait until the JS ``expression`` is truthy in the page; returns its value."""
        return self.call(
            'wait', timeout + 10, expression=expression, timeout_ms=int(timeout * 1000))

    def _context(self) -> str:
        lines = [json.dumps(m) for m in self.page_log[-12:]] + self._stderr[-8:]
        return ('\npage log:\n' + '\n'.join(lines)) if lines else ''

    def close(self) -> None:
        """Close the browser and remove its profile."""
        if self._proc.poll() is None:
            try:
                self._proc.stdin.close()
                self._proc.wait(15)
            except (subprocess.TimeoutExpired, OSError):
                self._proc.kill()
                self._proc.wait(5)
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> 'Browser':
        return self

    def __exit__(self, *exc) -> None:
        self.close()
