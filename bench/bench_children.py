"""A child stream at the API's rate limit: ``customer_notes`` over every customer.

The sandbox answers each request after ``--latency`` seconds and enforces
``--rate-limit`` requests per second with 429s; the tap runs with
``requests_per_second`` at that limit, once with ``child_concurrency`` at
``--concurrency`` and once at 1 (one request at a time, as a tap that waits
for each answer). Printed per run: child requests per second while the
children were read (the notes endpoint's requests over the run's wall time,
which also holds the tap's start and the parent feed), wall time, 429s and
peak RSS of the tap.

``--changed-parents`` measures the ordinary path instead of a sweep: the
child's state says it was swept just now, so it reads the children of the
parents the parent stream emits (all of them, the parent having no state),
group after group.

    python bench/bench_children.py [--parents 5000] [--latency 0.08] [--rate-limit 60]
                                   [--changed-parents]
"""

from __future__ import annotations

import argparse
import datetime as dt

from servicetitan_devtools.tap_runner import catalog_selecting, run_tap
from servicetitan_sandbox.process import SandboxProcess

CHILD_ENDPOINT = "crm/customers/{id}/notes"


def measure(sandbox: SandboxProcess, rate: float, concurrency: int, state: dict) -> None:
    config = sandbox.tap_config(requests_per_second=rate, child_concurrency=concurrency)
    catalog = catalog_selecting(config, {"customers", "customer_notes"})
    sandbox.control("POST", "reset-counters")
    result = run_tap(config, catalog=catalog, state=state, keep_records=False)
    if result.returncode:
        raise SystemExit(f"the tap failed ({result.returncode}): {result.stderr[-2000:]}")
    stats = sandbox.control("GET", "stats")
    children = stats["by_endpoint"].get(CHILD_ENDPOINT, 0)
    print(
        f"{sandbox.customers:>6} parents | concurrency {concurrency:>2} | "
        f"{children:>6} child requests ({stats['requests']} in all) in {result.seconds:7.1f} s "
        f"= {children / result.seconds:5.1f} child requests/s, "
        f"{stats['requests'] / result.seconds:5.1f} requests/s | "
        f"{stats['429']} x 429 | {result.record_count} records | "
        f"peak RSS {result.peak_rss_mb:4.0f} MB",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parents", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=0.08)
    parser.add_argument("--rate-limit", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--changed-parents", action="store_true")
    args = parser.parse_args()
    state = swept_just_now() if args.changed_parents else {}
    with SandboxProcess(args.parents, latency=args.latency, rate_limit=args.rate_limit) as sandbox:
        measure(sandbox, args.rate_limit, args.concurrency, state)
        measure(sandbox, args.rate_limit, 1, state)


def swept_just_now() -> dict:
    """A state in which ``customer_notes`` needs no sweep: the ordinary path."""
    now = dt.datetime.now(dt.timezone.utc).isoformat()
    return {"bookmarks": {"customer_notes": {"swept_at": now}}}


if __name__ == "__main__":
    main()
