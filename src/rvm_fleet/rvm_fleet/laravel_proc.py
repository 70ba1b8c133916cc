"""Child process of :class:`rvm_fleet.standins.LaravelStandin`: the stored-ack receiver.

Served until stdin closes.  Prints ``{"api_base": ...}`` once listening, then (after stdin
closes) one report line ``{"received": n, "duplicates": n, "errors": [...]}``.  The app
secret comes in ``$RVM_FLEET_SECRET`` (never on the command line).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from types import SimpleNamespace


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--db', required=True)
    parser.add_argument(
        '--host', required=True, help='Soketi node the acks/re-broadcasts are triggered through')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--app-id', required=True)
    parser.add_argument('--key', required=True)
    parser.add_argument('--token', required=True)
    args = parser.parse_args(argv)
    # the receiver listens with a web server's backlog (stored_ack_receiver._Server), not
    # socketserver's 5
    from support.stored_ack_receiver import StoredAckReceiver
    secret = os.environ.get('RVM_FLEET_SECRET', '')
    receiver = StoredAckReceiver(token=args.token, app_id=args.app_id, key=args.key, secret=secret,
                                 db_path=args.db)
    receiver.attach(
        SimpleNamespace(
            host=args.host, port=args.port, app_id=args.app_id, key=args.key, secret=secret)
    )
    receiver.start()
    print(json.dumps({'api_base': receiver.api_base}), flush=True)
    for _ in sys.stdin:            # serve until the parent closes stdin (or dies)
        pass
    receiver.close()
    print(
        json.dumps(
            {
                'received': sum(receiver.received.values()), 'duplicates': receiver.duplicates(),
                'errors': receiver.errors[-20:]}
        ),
        flush=True,
    )
    return 0


if __name__ == '__main__':
    sys.exit(main())
