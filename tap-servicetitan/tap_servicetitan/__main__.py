"""``tap-servicetitan`` entry point: the singer-sdk CLI, with one-line errors.

Errors a user can fix (settings, credentials, access, a record the loader
could not store, a full batch folder) and API failures that outlasted the
retries end the run with a single line on stderr; the traceback goes to the
debug log (``TAP_SERVICETITAN_LOGLEVEL=debug``).
"""

from __future__ import annotations

import logging
import sys

import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from tap_servicetitan.errors import ServiceTitanError
from tap_servicetitan.tap import TapServiceTitan

EXIT_FAILURE = 1


def main() -> None:
    try:
        TapServiceTitan.cli()
    except ServiceTitanError as exc:
        _fail(str(exc))
    except RetriableAPIError as exc:
        _fail(f"giving up after retries: {exc}")
    except FatalAPIError as exc:
        _fail(str(exc))
    except requests.RequestException as exc:
        _fail(f"giving up after retries: {type(exc).__name__}: {exc}")


def _fail(message: str) -> None:
    logging.getLogger(TapServiceTitan.name).debug("The run failed", exc_info=True)
    sys.stderr.write(f"tap-servicetitan: error: {message}\n")
    sys.exit(EXIT_FAILURE)


if __name__ == "__main__":
    main()
