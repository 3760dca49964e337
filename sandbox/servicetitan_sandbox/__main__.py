"""``python -m servicetitan_sandbox``: the same as ``servicetitan-sandbox``."""

import sys

from .cli import main

sys.exit(main())
