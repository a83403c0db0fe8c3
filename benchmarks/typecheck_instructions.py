"""Benchmark: CPU instructions per ``@typecheck()`` call, counted by valgrind (noise-free on a shared machine).

Wall-clock timings of a few microseconds swing by tens of percent on a busy 2-core machine; instruction
counts do not. Each mode runs twice under ``valgrind --tool=callgrind``, once with no calls and once with
``--calls`` calls, and the difference divided by the number of calls is the cost of one call: the import and
start-up cancel out. The inputs are a small pure-Python array-like (an int ``ndim`` and room for a
``neural_type``), so that neither torch nor numpy has to start under valgrind (torch alone takes minutes
there); the same module shape as ``benchmarks/typecheck.py`` otherwise.

The baseline, measured in the same run, is the undecorated method. ``--baseline-src DIR`` also counts another
copy of ``neural_types`` (say, a checkout of an earlier commit's ``packages/neural-types/src``) and prints
the ratio of the two overheads: this is how a change to the wrapper is judged before it lands.

Needs valgrind on PATH.

    uv run python benchmarks/typecheck_instructions.py [--calls 50000] [--baseline-src DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

MODES = ("undecorated", "checks on", "semantic checks off", "checks disabled")


def _child(mode: str, calls: int) -> None:
    """Run ``calls`` calls of ``mode``; what the parent counts."""
    # The same module as the wall-clock benchmark (benchmarks/typecheck.py, beside this file on sys.path),
    # imported here so that it binds to whichever neural_types PYTHONPATH chose.
    from neural_types import ChannelType, NeuralType, typecheck
    from typecheck import Checked, Plain

    class Array:
        def __init__(self, *shape: int) -> None:
            self.shape = shape
            self.ndim = len(shape)

        def detach(self) -> Array:
            return Array(*self.shape)

    x = Array(4, 8)
    x.neural_type = NeuralType(("B", "D"), ChannelType())  # type: ignore[attr-defined]
    forward = (Plain() if mode == "undecorated" else Checked()).forward
    if mode == "semantic checks off":
        typecheck.set_semantic_check_enabled(False)
    elif mode == "checks disabled":
        typecheck.set_typecheck_enabled(False)
    for _ in range(200):  # caches filled and the interpreter specialised, in both runs alike
        forward(x=x)
    for _ in range(calls):
        forward(x=x)


def _instructions(src: str | None, mode: str, calls: int) -> int:
    """Instructions executed by a child process running ``calls`` calls of ``mode``."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={Path(tmp) / 'callgrind.out'}",
                sys.executable,
                __file__,
                "--child",
                mode,
                str(calls),
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    found = re.search(r"Collected : (\d+)", out.stderr)
    if out.returncode != 0 or found is None:
        raise SystemExit(f"valgrind run of {mode!r} failed (exit {out.returncode}):\n{out.stderr[-2000:]}")
    return int(found.group(1))


def _per_call(src: str | None, calls: int) -> dict[str, float]:
    return {mode: (_instructions(src, mode, calls) - _instructions(src, mode, 0)) / calls for mode in MODES}


def main() -> None:
    """Count each mode (and the baseline copy, if given) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50000)
    parser.add_argument("--baseline-src", help="a directory holding another neural_types package to compare")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "CALLS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit(
            "valgrind is not on PATH; install it (e.g. apt-get install valgrind) to count instructions."
        )
    if args.baseline_src and not (Path(args.baseline_src) / "neural_types" / "__init__.py").is_file():
        raise SystemExit(
            f"--baseline-src {args.baseline_src!r} holds no neural_types package; pass its parent."
        )
    columns = {"this checkout": _per_call(None, args.calls)}
    if args.baseline_src:
        columns["baseline copy"] = _per_call(str(Path(args.baseline_src).resolve()), args.calls)
    print(
        f"CPU instructions per call (callgrind, {args.calls} calls, PYTHONHASHSEED=0; overhead = mode - undecorated):"
    )
    print("| mode | " + " | ".join(f"{name}: per call | overhead" for name in columns) + " |")
    print("|---|" + "---|---|" * len(columns))
    for mode in MODES:
        cells = []
        for counts in columns.values():
            cells += [f"{counts[mode]:,.0f}", f"{counts[mode] - counts['undecorated']:+,.0f}"]
        print(f"| {mode} | " + " | ".join(cells) + " |")
    if args.baseline_src:
        ours, base = columns["this checkout"], columns["baseline copy"]
        for mode in MODES[1:]:
            ratio = (ours[mode] - ours["undecorated"]) / (base[mode] - base["undecorated"])
            print(f"{mode}: overhead of this checkout ÷ baseline copy = {ratio:.3f}")


if __name__ == "__main__":
    main()
