"""`wxsync emulator`: run the local WeChat API so the whole pipeline works without an account."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "emulator",
        help="run a local WeChat API emulator",
        description="Serve an emulated WeChat Official Account API on this machine.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=8730, help="port (default 8730; 0 picks a free one)"
    )
    parser.add_argument("--appid", default=None, help="accepted appid (default wx_emulator)")
    parser.add_argument("--secret", default=None, help="accepted AppSecret (default: see README)")
    parser.add_argument(
        "--token-ttl", type=int, default=None, help="access token lifetime in seconds"
    )
    parser.add_argument(
        "--allow-ip",
        action="append",
        default=None,
        metavar="IP",
        help="enable the IP whitelist with this IP (repeatable); others get errcode 40164",
    )
    parser.add_argument(
        "--no-publish-permission",
        action="store_true",
        help="play an account without publish permission (freepublish/submit answers 48001)",
    )
    parser.add_argument(
        "--no-broadcast-permission",
        action="store_true",
        help="play an account without mass sending (message/mass/* answers 48001)",
    )
    parser.add_argument(
        "--broadcasts-per-day",
        type=int,
        default=None,
        help="mass sends allowed per day (default 1; beyond it sendall answers 45028)",
    )
    parser.add_argument(
        "--publish-polls", type=int, default=None, help="polls that report 'publishing'"
    )
    parser.add_argument(
        "--latency-ms", type=int, default=0, help="delay every API answer by this much"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import logging

    from wxsync.wechat.account import EmulatorConfig
    from wxsync.wechat.emulator import Emulator, EmulatorServer, FaultRule

    config = EmulatorConfig()
    if args.appid:
        config.appid = args.appid
    if args.secret:
        config.secret = args.secret
    if args.token_ttl is not None:
        config.token_ttl = args.token_ttl
    if args.allow_ip:
        config.ip_allowlist = list(args.allow_ip)
    if args.no_publish_permission:
        config.can_publish = False
    if args.no_broadcast_permission:
        config.can_broadcast = False
    if args.broadcasts_per_day is not None:
        config.broadcasts_per_day = args.broadcasts_per_day
    if args.publish_polls is not None:
        config.publish_polls = args.publish_polls
    emulator = Emulator(config)
    if args.latency_ms:
        emulator.set_faults([FaultRule(path="*", delay_ms=args.latency_ms)])
    logging.getLogger("wxsync.emulator").setLevel(logging.INFO)
    server = EmulatorServer((args.host, args.port), emulator)
    print(f"wxsync emulator listening on {server.base_url}", flush=True)
    print(
        f"  point wxsync at it with --api-base {server.base_url} (or WXSYNC_API_BASE); "
        f"appid {config.appid}; secret: {'the default from the README' if not args.secret else 'as given'}",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
