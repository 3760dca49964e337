"""ServiceTitan API emulator used by the tests, the benchmarks and the demo."""
