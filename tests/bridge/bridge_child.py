"""A bridge in its own process (for the edge-kill test): ``python bridge_child.py CONFIG_JSON N``.

Builds a BridgeCore from the JSON config, publishes verdicts 1..N (deterministic
event ids), prints ``{"published": N}`` and then keeps delivering until stdin
closes (or it is killed).  With N = 0 it only drains what the outbox holds and
prints ``{"flushed": true|false}`` once the outbox is empty.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bridge.bridge_support import verdict  # noqa: E402
from rvm_bridge.bridge_core import BridgeConfig, BridgeCore  # noqa: E402
from rvm_common import events  # noqa: E402


def main() -> None:
    config = BridgeConfig(**json.loads(sys.argv[1]))
    count = int(sys.argv[2])
    core = BridgeCore(config)
    core.start()
    for i in range(1, count + 1):
        core.publish(events.TOPIC_VERDICT, verdict(i))
    print(json.dumps({'published': count, 'depth': core.outbox.depth()}), flush=True)
    if count == 0:
        print(json.dumps({'flushed': core.flush(60.0)}), flush=True)
    sys.stdin.read()          # until the test closes stdin (or SIGKILLs us)
    core.stop()


if __name__ == '__main__':
    main()
