"""Tap throughput against the sandbox (no latency, no rate limit).

For each tenant size: the customers stream alone and all nine streams,
records/s, requests made (and per 1000 records) and the tap's peak RSS.

    python bench/bench_tap.py [--sizes 1000,10000,50000]
"""

from __future__ import annotations

import argparse

from servicetitan_devtools.tap_runner import catalog_selecting, run_tap
from servicetitan_sandbox.process import SandboxProcess

#: A ceiling far above ServiceTitan's, so the benchmark measures the tap itself.
UNTHROTTLED = {"requests_per_second": 100000}


def measure(sandbox: SandboxProcess, streams: set[str] | None, label: str) -> None:
    config = sandbox.tap_config(**UNTHROTTLED)
    catalog = catalog_selecting(config, streams)
    sandbox.control("POST", "reset-counters")
    result = run_tap(config, catalog=catalog, keep_records=False)
    if result.returncode:
        raise SystemExit(f"the tap failed ({result.returncode}): {result.stderr[-2000:]}")
    stats = sandbox.control("GET", "stats")
    requests = stats["requests"]
    print(
        f"{sandbox.customers:>7} customers | {label:<13} | {result.record_count:>8} records "
        f"in {result.seconds:6.1f} s = {result.record_count / result.seconds:8,.0f} records/s | "
        f"{requests:>5} requests ({1000 * requests / max(result.record_count, 1):.2f} per 1000 records), "
        f"{stats['token']} token | peak RSS {result.peak_rss_mb:5.0f} MB",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,50000")
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        with SandboxProcess(size) as sandbox:
            measure(sandbox, {"customers"}, "customers")
            measure(sandbox, None, "all 9 streams")


if __name__ == "__main__":
    main()
