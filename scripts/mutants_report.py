#!/usr/bin/env python3
"""Summarise cargo-mutants results per part and judge them (scripts/mutants.sh calls this).

A part passes when at least 85% of its viable mutants are caught (a test failed, or timed out:
the mutant hung a test) and every surviving mutant is listed, with a reason, in the accepted
file: one `<mutant name as cargo-mutants prints it>  # <reason>` per line.
"""

import argparse
import pathlib
import re
import sys

THRESHOLD = 0.85
# cargo-mutants names a mutant `file:line:col: what`; the accepted list leaves out the line
# and column, which move whenever the file above them changes.
POSITION = re.compile(r"^([^:\s]+):\d+:\d+: ")


def unplaced(name: str) -> str:
    return POSITION.sub(r"\1: ", name)


def names(out: pathlib.Path, outcome: str) -> set[str]:
    path = out / f"{outcome}.txt"
    if not path.exists():
        return set()
    return {line.strip() for line in path.read_text().splitlines() if line.strip()}


def outcomes(part: pathlib.Path) -> dict[str, set[str]]:
    """Every mutant's outcome over both tiers. The second tier (`--iterate`, run only when the
    first left survivors) ran what the first missed or timed out on, so its lists are final for
    those; it moved the first tier's lists to mutants.out.old and carried their caught ones over
    as previously_caught."""
    final, first = part / "mutants.out", part / "mutants.out.old"
    unviable = names(final, "unviable") | names(first, "unviable")
    # previously_caught.txt lists what the second tier skipped: caught and unviable alike.
    caught = (names(final, "caught") | names(final, "previously_caught")) - unviable
    return {
        "caught": caught,
        "timeout": names(final, "timeout") - caught,
        "missed": names(final, "missed"),
        "unviable": unviable,
    }


def accepted(path: pathlib.Path) -> dict[str, str]:
    reasons = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, reason = line.partition("  # ")
        if not sep or not reason.strip():
            sys.exit(f"{path}:{number}: no reason given (`<mutant>  # <reason>`)")
        reasons[name.strip()] = reason.strip()
    return reasons


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True, type=pathlib.Path)
    parser.add_argument("--accepted", required=True, type=pathlib.Path)
    parser.add_argument("parts", nargs="*")
    args = parser.parse_args()

    reasons = accepted(args.accepted)
    parts = args.parts or sorted(p.name for p in args.out.iterdir() if (p / "mutants.out").is_dir())
    failed = False
    print(f"{'part':<12} {'mutants':>7} {'caught':>6} {'timeout':>7} {'missed':>6} "
          f"{'unviable':>8} {'caught %':>8} {'minutes':>7}")
    for part in parts:
        out = args.out / part
        if not (out / "mutants.out").is_dir():
            print(f"{part:<12} not run")
            failed = True
            continue
        found = outcomes(out)
        caught, timeout, missed, unviable = (found[k] for k in ("caught", "timeout", "missed", "unviable"))
        viable = len(caught) + len(timeout) + len(missed)
        score = (len(caught) + len(timeout)) / viable if viable else 1.0
        minutes = (out / "minutes").read_text().split()[0] if (out / "minutes").exists() else "?"
        print(f"{part:<12} {viable + len(unviable):>7} {len(caught):>6} {len(timeout):>7} "
              f"{len(missed):>6} {len(unviable):>8} {score:>8.1%} {minutes:>7}")
        unexplained = sorted(m for m in missed if unplaced(m) not in reasons)
        for m in unexplained:
            print(f"  survived, not in {args.accepted}: {m}")
        if score < THRESHOLD or unexplained:
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
