"""A bridge in its own process (edge-kill test, fault matrix): ``python bridge_child.py CONFIG N``.

Builds a BridgeCore from the JSON config, publishes verdicts 1..N (deterministic
event ids), prints ``{"published": N, "depth": D, "depth_at_start": S}`` (the outbox's depth
now, and before the bridge started sending) and then keeps delivering until stdin
closes (or it is killed).  With N = 0 it only drains what the outbox holds and
prints ``{"flushed": true|false}`` once the outbox is empty.  With N = ``script`` it reads
commands from stdin, one per line, and answers each with one JSON line: ``publish A B``
(verdicts A..B-1; answers the outbox's depth, held events and storage fault), ``flush T``.
``RVM_CHILD_IGNORE_SIGXFSZ=1``: a write past the file-size limit fails instead of killing it.
"""
from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bridge.bridge_support import verdict  # noqa: E402
from rvm_bridge.bridge_core import BridgeConfig, BridgeCore  # noqa: E402
from rvm_common import events  # noqa: E402


def script(core: BridgeCore) -> None:
    """Commands from stdin (see the module docstring) until it closes."""
    for line in sys.stdin:
        words = line.split()
        if words[:1] == ['publish']:
            for i in range(int(words[1]), int(words[2])):
                core.publish(events.TOPIC_VERDICT, verdict(i))
            core.outbox.settle(60.0)          # committed by the outbox writer (or held)
            answer = {'depth': core.outbox.depth(), 'unstored': core.outbox.unstored(),
                      'storage': core.outbox.storage_fault()}
        elif words[:1] == ['flush']:
            answer = {'flushed': core.flush(float(words[1])), 'unstored': core.outbox.unstored()}
        else:
            answer = {'error': f'unknown command {line.strip()!r}'}
        print(json.dumps(answer), flush=True)


def main() -> None:
    if os.environ.get('RVM_CHILD_IGNORE_SIGXFSZ') == '1':
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    config = BridgeConfig(**json.loads(sys.argv[1]))
    core = BridgeCore(config)
    found = core.outbox.depth()               # what a previous run left, before anything is sent
    core.start()
    if sys.argv[2] == 'script':
        script(core)
        core.stop()
        return
    count = int(sys.argv[2])
    for i in range(1, count + 1):
        core.publish(events.TOPIC_VERDICT, verdict(i))
    core.outbox.settle(60.0)                  # committed: 'published' means stored
    print(json.dumps({'published': count, 'depth': core.outbox.depth(), 'depth_at_start': found}),
          flush=True)
    if count == 0:
        print(json.dumps({'flushed': core.flush(60.0)}), flush=True)
    sys.stdin.read()          # until the test closes stdin (or SIGKILLs us)
    core.stop()


if __name__ == '__main__':
    main()
