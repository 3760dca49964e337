"""``servicetitan-sandbox``: serve a fake ServiceTitan tenant until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import gc
import signal
import sys
import threading
import time

from . import credentials
from .server import SandboxServer


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="servicetitan-sandbox",
        description="Serve a ServiceTitan API emulator (one tenant, generated data) on HTTP.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--port",
        type=int,
        default=credentials.DEFAULT_PORT,
        help=f"0 picks a free port (default {credentials.DEFAULT_PORT})",
    )
    p.add_argument(
        "--customers",
        type=int,
        default=2000,
        help="tenant size: customers generated, with their locations, jobs, invoices ... "
        "(default 2000)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=42,
        help="random seed of the generated data: the same seed, the same records (default 42)",
    )
    p.add_argument(
        "--tenant-id",
        type=int,
        default=credentials.TENANT_ID,
        help=f"the tenant id the API answers for (tap setting tenant_id; default "
        f"{credentials.TENANT_ID})",
    )
    p.add_argument(
        "--export-page-size",
        type=int,
        default=500,
        help="records per page of the export feeds (ServiceTitan's own: 500)",
    )
    p.add_argument("--rate-limit", type=float, default=None, help="requests per second (429 above)")
    p.add_argument("--error-rate", type=float, default=0.0, help="fraction of 503 answers")
    p.add_argument("--latency", type=float, default=0.0, help="seconds added to each request")
    p.add_argument("--token-lifetime", type=float, default=900, help="access token lifetime (s)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    started = time.perf_counter()
    srv = SandboxServer(
        customers=args.customers,
        seed=args.seed,
        tenant_id=args.tenant_id,
        host=args.host,
        port=args.port,
        export_page_size=args.export_page_size,
    )
    srv.faults.configure(
        rate_limit=args.rate_limit,
        error_rate=args.error_rate,
        latency=args.latency,
        token_lifetime=args.token_lifetime,
    )
    gc.freeze()  # the dataset lives as long as the process: keep it out of GC scans
    try:
        srv.start()
    except OSError as exc:
        print(
            f"servicetitan-sandbox: cannot listen on {args.host}:{args.port}: {exc}",
            file=sys.stderr,
        )
        return 2
    stop = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    cfg = srv.tap_config()
    print(
        f"servicetitan-sandbox listening on {srv.url} "
        f"({srv.dataset.total_records()} records, {args.customers} customers, "
        f"built in {time.perf_counter() - started:.1f}s) "
        f"api_url={cfg['api_url']} auth_url={cfg['auth_url']} tenant_id={cfg['tenant_id']} "
        f"client_id={cfg['client_id']} client_secret={cfg['client_secret']} "
        f"st_app_key={cfg['st_app_key']}",
        flush=True,
    )
    while not stop.wait(0.5):
        pass
    srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
