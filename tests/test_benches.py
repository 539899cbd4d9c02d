"""The benchmarks measure what they claim: their set-up is a state the tools judge clean.

No timing is asserted here (speed is read from `bench/`); a bench whose stand-ins drift
from what the tools check would print "not clean" figures that mean nothing, as the drift
bench did once the DMARC report authorization row joined the drift checks.
"""

from __future__ import annotations

from bench.drift_bench import measure, synthetic_domains
from platform_lib.context_store import PROJECT_CONTEXT_FILE as DEFAULT_CONTEXT_FILE
from tools.drift.expected import partition_expected_domains


def test_the_drift_bench_publishes_what_the_drift_core_expects() -> None:
    partitions = partition_expected_domains(DEFAULT_CONTEXT_FILE)
    for expected in (partitions, synthetic_domains(3, partitions[0])):
        _, failed = measure(expected, latency=0.0)
        assert failed == []
