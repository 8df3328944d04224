"""Support code for the test suite and the benchmarks: an independent oracle, problem builders."""
