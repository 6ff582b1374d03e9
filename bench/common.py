"""What every benchmark reports the same way: the machine's load, each target met or missed, and
the exit status (`make bench` lists the scripts that missed)."""

import os


def load_line(when: str = "before the run") -> str:
    """The 1-minute load average and the cores: figures move with other work on the machine."""
    return f"load average (1 min) {when}: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def throughput_misses(name, ratio, min_ratio, p99_ms, max_p99_ms, errors) -> list[str]:
    """The targets one endpoint missed: its share of the baseline's requests/s (None: no
    target), its p99 latency and its errors."""
    misses = []
    if min_ratio is not None and ratio < min_ratio:
        misses.append(f"{name}: {ratio:.0%} of ping, target {min_ratio:.0%}")
    if max_p99_ms is not None and p99_ms >= max_p99_ms:
        misses.append(f"{name}: p99 {p99_ms:.1f} ms, target under {max_p99_ms:.0f} ms")
    if errors:
        misses.append(f"{name}: {errors} errors")
    return misses


def verdict(misses) -> int:
    """Print the targets missed (a list of lines; or a bool, True when all were met) and return
    the exit status: 0 when every target was met."""
    if isinstance(misses, bool):
        misses = [] if misses else ["see the figures above"]
    if misses:
        print("\nSOME TARGETS MISSED:\n  " + "\n  ".join(misses))
        return 1
    print("\nall targets met")
    return 0
