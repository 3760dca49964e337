"""ServiceTitan API emulator used by the tests, the benchmarks and the demo.

``SandboxServer`` serves one tenant over real HTTP on 127.0.0.1; ``Dataset``
holds its records (no HTTP); ``Faults`` switches 429/5xx/drops/latency on.
"""

from .dataset import Dataset
from .faults import Faults
from .server import SandboxServer
from .store import STREAMS

__all__ = ["STREAMS", "Dataset", "Faults", "SandboxServer"]
