#!/usr/bin/env python3
"""no_skips.py - fails when a ctest run skipped a test (the Makefile's test targets).

A test that cannot run its checks (a tool, a data set or the shared reference folder is
missing) exits 77 and ctest reports it as skipped, not passed. `make deps` installs
everything the suite needs, so under `make test` a skip means a check silently did not
happen: this script reads the JUnit file ctest wrote (--output-junit) and fails on any
skipped test, printing each one with the SKIP lines it printed.

TFG_ALLOW_SKIP (a regular expression of test names, empty by default) lets a machine
that truly lacks something, e.g. user namespaces for bubblewrap, say so explicitly.

usage: no_skips.py JUNIT_XML
"""

import os
import re
import sys
import xml.etree.ElementTree as ET


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    path = sys.argv[1]
    try:
        cases = ET.parse(path).getroot().iter("testcase")
    except (OSError, ET.ParseError) as e:
        print(f"no_skips: cannot read ctest's JUnit file {path}: {e}", file=sys.stderr)
        return 1
    allow = os.environ.get("TFG_ALLOW_SKIP", "")
    ran = skipped = 0
    for case in cases:
        ran += 1
        if case.find("skipped") is None and case.get("status") != "notrun":
            continue
        name = case.get("name", "?")
        if allow and re.search(allow, name):
            print(f"no_skips: {name} skipped (allowed by TFG_ALLOW_SKIP)")
            continue
        skipped += 1
        out = case.findtext("system-out") or ""
        why = [l for l in out.splitlines() if l.startswith("SKIP:")] or ["(no SKIP line)"]
        print(f"no_skips: {name} was skipped:", file=sys.stderr)
        for line in why:
            print(f"    {line}", file=sys.stderr)
    if ran == 0:
        print(f"no_skips: {path} lists no tests", file=sys.stderr)
        return 1
    if skipped:
        print(f"no_skips: {skipped} of {ran} tests skipped; `make deps` should have installed "
              "what they need (the shared folder: TFG_SHARED)", file=sys.stderr)
        return 1
    print(f"no_skips: none of {ran} tests skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
