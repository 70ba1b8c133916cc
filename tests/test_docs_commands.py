"""Every shell command printed in README.md and docs/*.md runs as written, as far as it can here.

Commands are taken from the fenced ``bash``/``sh`` blocks.  Our own commands are checked for real:
``rvm-edge run`` and ``scripts/demo`` lines are parsed by the runner's own parser and their configs
built (and the bridge constructed, with placeholder secrets, when they name a server); other
``rvm-*`` console scripts must print ``--help`` and know every flag the docs use; each benchmark
runs in its ``--quick`` mode.  Commands that need infrastructure this machine does not have
(ROS 2, apt, a Laravel app) are listed in EXTERNAL and only recognised; an unknown command fails,
so a new one gets a check.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [
    ROOT / 'README.md', *sorted((ROOT / 'docs').glob('*.md')), ROOT / 'dashboard' / 'README.md']
EXTERNAL = {
    'sudo', 'apt', 'apt-get', 'pip', 'cd', 'colcon', 'rosdep', 'ros2', 'source', 'export', 'yolo',
    'composer', 'php', 'laravel', 'npm', 'git', 'curl', 'mkdir', 'cp', 'ssh'}
SKIPPED_HERE = {'scripts/test'}          # the suite itself
PLACEHOLDER_SOURCES = ('path/to/', 'bags/', 'runs/')
# what scripts/demo passes
DEMO_ARGS = ['run', '--source', 'sample', '--no-realtime', '--no-loop']
ENV_LINE = re.compile(r'^[A-Z_][A-Z0-9_]*=\S*$')


def doc_commands() -> list[tuple[str, str]]:
    """(``file:line``-like id, command) of every command line in the docs' shell blocks."""
    out = []
    for path in DOCS:
        if not path.is_file():
            continue
        text = path.read_text(encoding='utf-8')
        for block in re.finditer(r'```(?:bash|sh|shell)\n(.*?)```', text, re.S):
            body = block.group(1).replace('\\\n', ' ')
            for line in body.splitlines():
                command = re.sub(r'\s+#.*$', '', line).strip().rstrip('&').strip()
                if command and not command.startswith('#') and not ENV_LINE.match(command):
                    for part in command.split('&&'):
                        out.append(
                            (f'{path.relative_to(ROOT)}: {part.strip()[:60]}', part.strip()))
    return out


COMMANDS = doc_commands()


def _runner_check(argv: list[str], tmp_path: Path, monkeypatch) -> None:
    from rvm_bringup.run_config import build_configs
    from rvm_bringup.runner import _parser
    from rvm_common.params import ConfigError

    args = _parser().parse_args(argv)                     # SystemExit (exit 2) = a stale flag
    if args.command != 'run':
        return
    args.outbox = tmp_path / 'outbox.sqlite3'
    if args.dashboard:                                    # the demo stack supplies the server
        args.bridge_host = None
    monkeypatch.setenv('RVM_BRIDGE_TOKEN', 'placeholder-token')
    monkeypatch.setenv('RVM_BRIDGE_APP_SECRET', 'placeholder-secret')
    try:
        configs = build_configs(args)
    except ConfigError as exc:
        if (
            args.source
            and args.source.startswith(PLACEHOLDER_SOURCES)
            and 'does not exist' in str(exc)
        ):
            # a placeholder path for the reader's own file
            return
        raise
    if configs.bridge.host:
        from rvm_bridge.bridge_core import BridgeCore
        BridgeCore(configs.bridge).stop(timeout=1.0)      # raises ConfigError for missing settings


def _help_knows_flags(tokens: list[str]) -> None:
    result = subprocess.run(tokens[:1] + ['--help'], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    for flag in (t.split('=', 1)[0] for t in tokens[1:] if t.startswith('-')):
        assert flag in result.stdout, f'{tokens[0]} --help does not list {flag}'


@pytest.mark.parametrize('where,command', COMMANDS, ids=[c[0] for c in COMMANDS])
def test_documented_command_runs_as_written(where, command, tmp_path, monkeypatch):
    tokens = shlex.split(command)
    while tokens and ENV_LINE.match(tokens[0]):
        tokens.pop(0)
    if tokens[:2] == ['ros2', 'run'] and len(tokens) > 3:
        # an installed console script: check it too
        tokens = tokens[3:]
    name = tokens[0]
    if name in EXTERNAL:
        return
    if name in SKIPPED_HERE:
        assert (ROOT / name).is_file() and os.access(ROOT / name, os.X_OK)
    elif name == 'scripts/demo':
        assert os.access(ROOT / name, os.X_OK)
        _runner_check(DEMO_ARGS + tokens[1:], tmp_path, monkeypatch)
    elif name == 'rvm-edge':
        _runner_check(tokens[1:], tmp_path, monkeypatch)
    elif name.startswith('rvm-'):
        _help_knows_flags(tokens)
    elif name in ('python', 'python3') and tokens[1].startswith('bench/'):
        assert (ROOT / tokens[1]).is_file()              # run by test_bench_quick below
    else:
        pytest.fail(f'{where}: no check for {name!r}; add one here (or to EXTERNAL if it needs '
                    'infrastructure this machine lacks)')


#: Benchmarks whose --quick run has a test of its own that asserts more (not run twice).
QUICK_RUN_ELSEWHERE = {'bench_fleet.py': ROOT / 'tests' / 'fleet' / 'test_bench_fleet.py'}
BENCHES = sorted(p.name for p in (ROOT / 'bench').glob('bench_*.py')
                 if p.name not in QUICK_RUN_ELSEWHERE)


@pytest.mark.parametrize('script', sorted(QUICK_RUN_ELSEWHERE))
def test_bench_quick_run_elsewhere(script):
    """A benchmark left out of test_bench_quick is run with --quick by the test named for it."""
    text = QUICK_RUN_ELSEWHERE[script].read_text()
    assert f"'{script}'" in text and "'--quick'" in text


@pytest.mark.slow
@pytest.mark.parametrize('script', BENCHES)
def test_bench_quick(script, tmp_path):
    """Each benchmark's --quick mode runs to its end (so benchmarks cannot rot)."""
    result = subprocess.run(
        [sys.executable, str(ROOT / 'bench' / script), '--quick'], cwd=tmp_path,
        capture_output=True, text=True, timeout=420)
    assert result.returncode == 0, (result.stdout[-3000:] + result.stderr[-3000:])
    assert result.stdout.strip(), 'a benchmark prints its figures'


RUNNER_PREFIXES = (
    'rvm-edge: ', 'time sync: ', 'rvm state: ', 'item ', 'progress: ', 'session ', 'done: ',
    'dashboard: ', '...')


def test_readme_demo_output_is_runner_output():
    """The README's `scripts/demo` sample holds only lines the runner prints, banner to summary."""
    text = (ROOT / 'README.md').read_text(encoding='utf-8')
    block = re.search(r'`scripts/demo` says.*?```\n(.*?)```', text, re.S)
    assert block, 'README: the scripts/demo output block is missing'
    lines = block.group(1).splitlines()
    assert [line for line in lines if not line.startswith(RUNNER_PREFIXES)] == []
    assert lines[0].startswith('rvm-edge: machine') and lines[-1].startswith('done: ')
