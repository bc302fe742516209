#!/usr/bin/env python3
"""Print the interpreter `make` builds the virtual environment with.

The workbench supports CPython 3.11, 3.12 and 3.13. Three releases in that range have a bug that
ends an `ast.parse` with "SystemError: AST constructor recursion depth mismatch" when two threads
build syntax trees at once (gh-106905; 3.11.0 to 3.11.7 and 3.12.0 to 3.12.1, fixed in 3.11.8 and
3.12.2): a threaded server compiling templates, or the test suite's live server, can trip it under
load. So the newest supported interpreter without the bug wins, looked for on PATH and, where
pyenv is installed, among its versions (its shims run only the selected one). When every
candidate has the bug, the newest supported one is used and a warning says so.

Run by the Makefile with any Python 3 (`python3 scripts/pick_python.py`); prints one path.
`make run PYTHON=...` skips it.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys

SUPPORTED = ((3, 11), (3, 12), (3, 13))
FIXED_IN = {(3, 11): 8, (3, 12): 2}  # gh-106905


def version_of(path: str) -> tuple[int, int, int] | None:
    """The interpreter's version, or None when it does not run (a pyenv shim of a version that
    is not selected exits non-zero) or is not CPython."""
    probe = "import sys; print(sys.implementation.name, *sys.version_info[:3])"
    try:
        done = subprocess.run(
            [path, "-c", probe], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    words = done.stdout.split()
    if done.returncode != 0 or len(words) != 4 or words[0] != "cpython":
        return None
    return int(words[1]), int(words[2]), int(words[3])


def has_the_ast_bug(version: tuple[int, int, int]) -> bool:
    fixed = FIXED_IN.get(version[:2])
    return fixed is not None and version[2] < fixed


def candidates() -> list[str]:
    found = [
        shutil.which(name)
        for name in ("python3.13", "python3.12", "python3.11", "python3", "python")
    ]
    pyenv = shutil.which("pyenv")
    if pyenv:
        root = subprocess.run(
            [pyenv, "root"], capture_output=True, text=True, check=False
        ).stdout.strip()
        found += sorted(glob.glob(os.path.join(root, "versions", "3.*", "bin", "python3")))
    paths: list[str] = []
    for path in found:
        if path and path not in paths:
            paths.append(path)
    return paths


def main() -> int:
    usable = []
    for path in candidates():
        version = version_of(path)
        if version is not None and version[:2] in SUPPORTED:
            usable.append((not has_the_ast_bug(version), version, path))
    if not usable:
        sys.stderr.write("No CPython 3.11, 3.12 or 3.13 found; install one (see README).\n")
        return 1
    clean, version, path = max(usable)
    if not clean:
        sys.stderr.write(
            f"warning: Python {'.'.join(map(str, version))} has CPython bug gh-106905, which can"
            " fail a threaded server or the tests now and then; 3.11.8+, 3.12.2+ or 3.13 have"
            " not.\n"
        )
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
