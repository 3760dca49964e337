"""Coverage benchmark: the tap alone with every tenant-wide stream selected, and the default
selection's incremental run after a day of changes (sandbox, no latency, no rate limit).

For each tenant size: every tenant-wide stream (ALL_STREAMS; child streams are
bench_children.py's) as RECORD messages (records/s, records per
CPU-second, requests per 1000 records, peak RSS), then meltano.yml's default
selection: a full run, 1% of the tenant changed, and the incremental run from
the full run's state (its time, records and requests).

    python bench/bench_coverage.py [--sizes 10000,50000]
"""

from __future__ import annotations

import argparse

from servicetitan_catalog.streams import DEFAULT_SELECTION
from servicetitan_devtools.tap_runner import TapRun, catalog_selecting, run_tap
from servicetitan_sandbox.process import SandboxProcess
from tap_servicetitan.streams import ALL_STREAMS

#: A ceiling far above ServiceTitan's, so the benchmark measures the tap itself.
UNTHROTTLED = {"requests_per_second": 100000}


def timed_run(
    sandbox: SandboxProcess, streams: set[str], state: dict | None = None
) -> tuple[TapRun, dict]:
    """One tap run over ``streams``, and the sandbox's request counters."""
    config = sandbox.tap_config(**UNTHROTTLED)
    catalog = catalog_selecting(config, streams)
    sandbox.control("POST", "reset-counters")
    run = run_tap(config, catalog=catalog, state=state, keep_records=False)
    if run.returncode:
        raise SystemExit(f"the tap failed ({run.returncode}): {run.stderr[-2000:]}")
    return run, sandbox.control("GET", "stats")


def report(customers: int, label: str, run: TapRun, stats: dict) -> None:
    requests = stats["requests"]
    print(
        f"{customers:>7} customers | {label:<26} | {run.record_count:>8} records "
        f"in {run.seconds:6.1f} s = {run.record_count / run.seconds:8,.0f} records/s, "
        f"{run.record_count / max(run.cpu_seconds, 1e-9):8,.0f} per CPU-second | "
        f"{requests:>5} requests ({1000 * requests / max(run.record_count, 1):.2f} per 1000 "
        f"records), {stats['token']} token | peak RSS {run.peak_rss_mb:5.0f} MB",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,50000")
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        with SandboxProcess(size) as sandbox:
            # the tenant-wide streams; the per-parent child streams are bench_children.py's
            run, stats = timed_run(sandbox, {stream.name for stream in ALL_STREAMS})
            report(size, f"all {len(ALL_STREAMS)} streams", run, stats)
            default = set(DEFAULT_SELECTION)
            full, stats = timed_run(sandbox, default)
            report(size, f"default ({len(default)}) full", full, stats)
            sandbox.mutate(fraction=0.01, seed=1)
            incremental, stats = timed_run(sandbox, default, state=full.final_state)
            report(size, "default after 1% changes", incremental, stats)


if __name__ == "__main__":
    main()
