"""``rvm-fleet-sim``: N virtual machines (real bridge cores) against a Redis-scaled Pusher cluster.

    rvm-fleet-sim --machines 100 --minutes 2 --rate 20 --restart-at 60
    # secrets in $RVM_BRIDGE_APP_SECRET, $RVM_BRIDGE_TOKEN:
    rvm-fleet-sim --machines 50 --server ws://reverb-a:8080 \\
                  --dashboard-server ws://reverb-b:8080 --api-base https://myrvm.example

Prints a table (machines connected, events/s, publish -> dashboard latency, reconnects,
lost/duplicated by event_id, recovery after a node restart, edge RSS per machine, server CPU);
``--json PATH`` also writes the figures.  Exit status 0 when nothing was lost and every
machine was connected at the end, 1 otherwise, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time

from rvm_fleet.fleet import FleetOptions, run_fleet
from rvm_fleet.report import format_table


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog='rvm-fleet-sim', description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument(
        '--machines', type=int, default=20, help='virtual machines in this process (default 20)')
    p.add_argument(
        '--minutes', type=float, default=1.0, help='length of the synthetic stream (default 1)')
    p.add_argument('--rate', type=float, default=20.0,
                   help='verdicts per machine per minute (default 20: one every ~3 s)')
    p.add_argument(
        '--server', default='local',
        help=(
            "'local' (default): start Redis + two Soketi nodes here; or ws://host:port of the node"
            " the machines use"
        ),
    )
    p.add_argument(
        '--dashboard-server', default='', help='remote: ws://host:port of the dashboard\'s node')
    p.add_argument(
        '--api-base', default='', help='remote: MyRVM base URL (channel auth, storing listener)')
    p.add_argument('--app-id', default='1001', help='numeric Pusher app id of the cluster')
    p.add_argument('--app-key', default='rvm-key', help='Pusher app key of the cluster')
    p.add_argument('--restart-at', type=float, default=None,
                   help='seconds into the stream: stop node A and start it again (local only)')
    p.add_argument(
        '--restart-mode', choices=('kill', 'graceful'), default='kill',
        help=(
            'kill: SIGKILL, a crash (default); graceful: SIGTERM, Soketi closes sockets with 4200'
        ),
    )
    p.add_argument(
        '--ack-timeout', type=float, default=10.0, help='bridge ack_timeout_s (default 10)')
    p.add_argument('--auth-rate', type=float, default=1.0,
                   help='channel-auth requests per second per machine (token bucket, default 1)')
    p.add_argument('--auth-burst', type=int, default=3, help='token bucket size (default 3)')
    p.add_argument(
        '--start-rate', type=float, default=50.0, help='machines started per second (default 50)')
    p.add_argument('--drain-timeout', type=float, default=120.0,
                   help='seconds to wait after the stream for every outbox to empty (default 120)')
    p.add_argument(
        '--no-watch-private', action='store_true',
        help="the dashboard watches only detection-results, not every machine's private channel")
    p.add_argument('--seed', type=int, default=None,
                   help='random seed of the simulated traffic (default: a new one each run)')
    p.add_argument(
        '--work-dir', default='', help='keep outboxes and server logs here (default: a temp dir)')
    p.add_argument('--json', default='', help='also write the figures as JSON to this file')
    p.add_argument('-q', '--quiet', action='store_true', help='no progress lines')
    return p


def options_from(args: argparse.Namespace) -> FleetOptions:
    def progress(line: str) -> None:
        if not args.quiet:
            print(f'[{time.strftime("%H:%M:%S")}] {line}', file=sys.stderr, flush=True)
    return FleetOptions(
        machines=args.machines, minutes=args.minutes, rate=args.rate, server=args.server,
        dashboard_server=args.dashboard_server, restart_at=args.restart_at,
        restart_mode=args.restart_mode, ack_timeout_s=args.ack_timeout, auth_rate=args.auth_rate,
        auth_burst=args.auth_burst, start_rate=args.start_rate,
        watch_private=not args.no_watch_private, drain_timeout_s=args.drain_timeout,
        work_dir=args.work_dir, seed=args.seed, api_base=args.api_base, app_id=args.app_id,
        app_key=args.app_key, progress=progress)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.ERROR, format='%(levelname)s %(name)s: %(message)s')
    options = options_from(args)
    try:
        options.validate()
    except ValueError as exc:
        print(f'rvm-fleet-sim: {exc}', file=sys.stderr)
        return 2
    try:
        report = run_fleet(options)
    except (RuntimeError, TimeoutError, OSError, ValueError) as exc:
        # a server not starting, no redis ...
        print(f'rvm-fleet-sim: {type(exc).__name__}: {exc}', file=sys.stderr)
        return 1
    print(format_table(report))
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as fh:
            json.dump(report.to_dict(), fh, indent=2)
    ok = report.lost == 0 and report.machines_connected == report.machines
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
