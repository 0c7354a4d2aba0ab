"""Reliability run: the long fault matrix, crash and repeated-use tests, one table.

Run from the repository root: ``.venv/bin/python -m bench.reliability``. It runs
``tests/test_fault_matrix.py``, ``tests/test_crash.py`` and ``tests/test_repeated_use.py``
with ``HOSTED_PBX_LONG=1`` (50 crashes, 100 of each repeated action), collects the lines
the tests print (``RELIABILITY ...``) and prints a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
import re
import subprocess
import sys
import time

ROOT = Path(__file__).resolve().parent.parent
FILES = ("tests/test_fault_matrix.py", "tests/test_crash.py", "tests/test_repeated_use.py")
LINE = re.compile(r"^RELIABILITY (.*)$", re.MULTILINE)
SUMMARY = re.compile(r"^=*\s*(\d+ (?:passed|failed).*?) in ([\d.]+)s", re.MULTILINE)


def _fields(text: str) -> list[dict[str, str]]:
    return [dict(part.split("=", 1) for part in line.split()) for line in LINE.findall(text)]


def run(*, long: bool = True) -> tuple[str, int]:
    """Run the three test files; return the Markdown table and pytest's exit code."""
    env = {**os.environ, "HOSTED_PBX_LONG": "1" if long else "0"}
    started = time.monotonic()
    done = subprocess.run(  # noqa: S603 - our own interpreter and test files
        [sys.executable, "-m", "pytest", *FILES, "-q", "-s", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.monotonic() - started
    out = done.stdout
    rows = _fields(out)
    faults = [row for row in rows if "fault" in row]
    crashes = [row for row in rows if "crashes" in row]
    repeated = [row for row in rows if "repeated" in row]
    violations = sum(int(row.get("violations", "0")) for row in rows)
    devices_kept = all(row.get("devices_kept", "True") == "True" for row in rows)
    summary = SUMMARY.findall(out)
    result = summary[-1][0] if summary else "no pytest summary"
    providers = sorted({row["fault"].split("-", 1)[0] for row in faults})
    table = "\n".join(
        [
            "| Check | Result |",
            "|---|---|",
            f"| Fault cells passed ({', '.join(providers)} x fault classes) | {len(faults)} |",
            f"| Crashes survived (no clean stop, restart from disk) | "
            f"{sum(int(row['crashes']) for row in crashes)} |",
            "| Repeated actions (option saves, reloads, reconfigures, failed flows) | "
            + ", ".join(row["repeated"] for row in repeated)
            + " |",
            f"| Requests the provider would have refused (violations) | {violations} |",
            f"| Devices kept through every fault and crash | {'yes' if devices_kept else 'no'} |",
            f"| pytest | {result}, {elapsed:.0f} s |",
        ]
    )
    return table, done.returncode


def main() -> None:
    """Print the table; exit non-zero when a test failed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--short", action="store_true", help="the short counts of scripts/test")
    args = parser.parse_args()
    table, code = run(long=not args.short)
    print(table)
    sys.exit(code)


if __name__ == "__main__":
    main()
