"""Tap throughput against the sandbox (no latency, no rate limit).

For each tenant size: the customers stream alone and all nine streams as
RECORD messages, and all nine streams into BATCH files (gzip JSON Lines, as
meltano.yml configures them): records/s, records per CPU-second of the tap
(steadier than wall time when other processes share the machine), requests
made (and per 1000 records), the tap's peak RSS and, for BATCH, the size of
its files.

    python bench/bench_tap.py [--sizes 1000,10000,50000]
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from servicetitan_catalog.streams import CORE_STREAMS
from servicetitan_devtools.tap_runner import TapRun, catalog_selecting, run_tap
from servicetitan_sandbox.process import SandboxProcess

#: A ceiling far above ServiceTitan's, so the benchmark measures the tap itself.
UNTHROTTLED = {"requests_per_second": 100000}
BATCH_ENCODING = {"format": "jsonl", "compression": "gzip"}


def batch_records(run: TapRun) -> tuple[int, int]:
    """Records in the files the run's BATCH messages name, and the files' bytes."""
    records = size = 0
    for message in run.batches:
        for url in message["manifest"]:
            path = Path(urlparse(url).path)
            size += path.stat().st_size
            with gzip.open(path) as lines:
                records += sum(1 for _ in lines)
    return records, size


def measure(
    sandbox: SandboxProcess, streams: set[str] | None, label: str, batches: Path | None = None
) -> None:
    config = sandbox.tap_config(**UNTHROTTLED)
    if batches is not None:
        config["batch_config"] = {"encoding": BATCH_ENCODING, "storage": {"root": batches.as_uri()}}
    catalog = catalog_selecting(config, streams)
    sandbox.control("POST", "reset-counters")
    result = run_tap(config, catalog=catalog, keep_records=False)
    if result.returncode:
        raise SystemExit(f"the tap failed ({result.returncode}): {result.stderr[-2000:]}")
    stats = sandbox.control("GET", "stats")
    requests = stats["requests"]
    files = ""
    if batches is not None:
        result.record_count, size = batch_records(result)
        files = f" | {len(result.batches)} files, {size / 1e6:.1f} MB"
    print(
        f"{sandbox.customers:>7} customers | {label:<13} | {result.record_count:>8} records "
        f"in {result.seconds:6.1f} s = {result.record_count / result.seconds:8,.0f} records/s, "
        f"{result.record_count / result.cpu_seconds:8,.0f} per CPU-second | "
        f"{requests:>5} requests ({1000 * requests / max(result.record_count, 1):.2f} per 1000 records), "
        f"{stats['token']} token | peak RSS {result.peak_rss_mb:5.0f} MB{files}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,50000")
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        with SandboxProcess(size) as sandbox, tempfile.TemporaryDirectory() as batches:
            measure(sandbox, {"customers"}, "customers")
            measure(sandbox, set(CORE_STREAMS), "all 9 streams")
            measure(sandbox, set(CORE_STREAMS), "9 into BATCH", Path(batches))


if __name__ == "__main__":
    main()
