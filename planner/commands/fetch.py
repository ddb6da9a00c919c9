"""``planner fetch``: collect call records (and SMS) from Microsoft Graph into a history store.

Usage::

    planner fetch --store DIR --tenant-id ID --client-id ID
                  [--client-secret-env NAME | --certificate PEM]
                  [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--direct-routing] [--sms]
                  [--concurrency N] [--max-wait SECONDS]
                  [--authority URL] [--graph-url URL] [--json]

Signs in as the app (client credentials) with the secret held in the environment variable
``--client-secret-env`` (default ``PLANNER_CLIENT_SECRET``) or a certificate, never a secret on
the command line. Prints one line per 90-day window on stderr, then a summary (or ``--json``).
Exit 0 when the fetch completed; 2 with a one-line message when the sign-in or Graph refused
(401/403: the ``CallRecords.Read.All`` permission), Graph stayed unavailable after retries, or
an option is wrong, or Graph answered what a Graph server does not (see
:mod:`planner.collect.graph`).
"""

from __future__ import annotations

import argparse
import json
import sys

from planner import text, validate
from planner.collect import graph
from planner.collect.fetch import DEFAULT_CONCURRENCY, MAX_CONCURRENCY, fetch
from planner.collect.pacing import MAX_WAIT_S
from planner.commands import groups
from planner.errors import InputError
from planner.text.console import fetch_summary

HELP = "collect call records from Microsoft Graph into a history store (app-only sign-in)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``planner fetch``."""
    parser.add_argument(
        "--store", required=True, metavar="DIR", help="the history store (created when missing)"
    )
    parser.add_argument(
        "--tenant-id", required=True, metavar="ID", help="the Microsoft Entra tenant (directory) ID"
    )
    parser.add_argument(
        "--client-id",
        required=True,
        metavar="ID",
        help="the app registration's application (client) ID",
    )
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument(
        "--client-secret-env",
        default="PLANNER_CLIENT_SECRET",
        metavar="NAME",
        help="environment variable holding the client secret (default PLANNER_CLIENT_SECRET)",
    )
    secret.add_argument(
        "--certificate",
        metavar="PEM",
        help="PEM file with the app's certificate and private key, instead of a secret",
    )
    parser.add_argument(
        "--since",
        type=validate.day,
        metavar="YYYY-MM-DD",
        help="first day of calls (default: a few days before the newest stored record)",
    )
    parser.add_argument(
        "--until",
        type=validate.day,
        metavar="YYYY-MM-DD",
        help="fetch calls started before this day (default: now)",
    )
    parser.add_argument(
        "--direct-routing",
        action="store_true",
        help="also fetch Direct Routing calls (getDirectRoutingCalls)",
    )
    parser.add_argument(
        "--sms", action="store_true", help="also fetch Teams Phone SMS (getSmsLog, Graph beta)"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"windows fetched at once, 1 to {MAX_CONCURRENCY} (default {DEFAULT_CONCURRENCY})",
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        default=MAX_WAIT_S,
        metavar="SECONDS",
        help=f"total wait on throttling before giving up (default {MAX_WAIT_S:.0f})",
    )
    parser.add_argument(
        "--authority",
        default="https://login.microsoftonline.com",
        metavar="URL",
        help="sign-in host (national clouds: e.g. https://login.microsoftonline.us)",
    )
    parser.add_argument(
        "--graph-url",
        default="https://graph.microsoft.com",
        metavar="URL",
        help="Graph host (national clouds: e.g. https://graph.microsoft.us)",
    )
    groups.add_output(parser, "print one JSON object instead of the summary")


def run(args: argparse.Namespace) -> int:
    """Run ``planner fetch``; returns the exit code."""
    if args.since and args.until and args.since > args.until:
        raise InputError(
            "--since {since} is after --until {until}", since=args.since, until=args.until
        )
    if args.certificate:
        credential = graph.certificate_from_pem(args.tenant_id, args.client_id, args.certificate)
    else:
        credential = graph.secret_from_env(args.tenant_id, args.client_id, args.client_secret_env)
    if not 0 <= args.max_wait <= 86_400:
        raise InputError("--max-wait {max_wait:g}: give 0 to 86400 seconds", max_wait=args.max_wait)
    client = graph.GraphClient(
        credential, authority=args.authority, graph_url=args.graph_url, max_wait=args.max_wait
    )
    result = fetch(args.store, client, since=args.since, until=args.until,
                   direct_routing=args.direct_routing, sms=args.sms, concurrency=args.concurrency,
                   progress=lambda line: print(f"planner: {line}", file=sys.stderr))  # fmt: skip
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return 0
    with text.language(args.lang):
        print(fetch_summary(result))
    return 0
