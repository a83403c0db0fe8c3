"""Two-way ``.nemo`` interop between nemo-core and nemo_toolkit 3.0.0; exits non-zero on any mismatch.

``uv run nox -s interop`` builds both venvs and calls this with their interpreters. Each implementation saves
the shared model (``shared/tests/core/interop_model.py``: a nested NeMo submodule with its own artifact, and
an artifact of its own); the other restores it and must reproduce the output on a fixed input, every weight
and both artifacts exactly. Each restored model is then saved again by the restoring side and restored by
the first, so a file that has passed through both implementations is checked as well.
"""

# This is a command-line check: its report is printed.
# ruff: noqa: T201

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROUNDTRIP = Path(__file__).resolve().parent / "roundtrip.py"


def _start(python: str, args: list[str], tmp: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONWARNINGS": "ignore"}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.Popen(
        [python, str(ROUNDTRIP), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )


def _finish(proc: subprocess.Popen[str], what: str) -> dict[str, Any]:
    output, _ = proc.communicate()
    for line in reversed(output.splitlines()):
        if line.startswith("@@RESULT "):
            return json.loads(line[len("@@RESULT ") :])  # type: ignore[no-any-return]
    raise SystemExit(f"{what} failed (exit {proc.returncode}):\n{output[-6000:]}")


def _pair(jobs: list[tuple[str, str, list[str]]], tmp: Path) -> list[dict[str, Any]]:
    """Run two steps side by side (one per implementation) and collect their results."""
    procs = [(what, _start(python, args, tmp)) for what, python, args in jobs]
    return [_finish(proc, what) for what, proc in procs]


def main(argv: list[str] | None = None) -> None:
    """Run the six steps and report every comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ours-python", required=True, help="interpreter of the nemo-core venv")
    parser.add_argument("--toolkit-python", required=True, help="interpreter of the nemo_toolkit venv")
    args = parser.parse_args(argv)
    py = {"nemo-core": args.ours_python, "nemo_toolkit": args.toolkit_python}

    with tempfile.TemporaryDirectory(prefix="nemo-interop-") as work:
        d = Path(work)
        tmp = d / "tmp"
        tmp.mkdir()

        def check(restorer: str, source: str, out: str) -> tuple[str, str, list[str]]:
            step = f"{restorer} restores {source}"
            return (
                step,
                py[restorer],
                ["check", str(d / source / "model.nemo"), str(d / source / "expected.pt"), str(d / out)],
            )

        _pair(
            [
                ("nemo-core saves", py["nemo-core"], ["save", str(d / "saved-by-nemo-core")]),
                ("nemo_toolkit saves", py["nemo_toolkit"], ["save", str(d / "saved-by-nemo_toolkit")]),
            ],
            tmp,
        )
        steps = [
            check("nemo_toolkit", "saved-by-nemo-core", "resaved-by-nemo_toolkit"),
            check("nemo-core", "saved-by-nemo_toolkit", "resaved-by-nemo-core"),
        ]
        results = list(zip(steps, _pair(steps, tmp), strict=True))
        steps = [
            check("nemo-core", "resaved-by-nemo_toolkit", "again-nemo-core"),
            check("nemo_toolkit", "resaved-by-nemo-core", "again-nemo_toolkit"),
        ]
        results += list(zip(steps, _pair(steps, tmp), strict=True))

    failed = 0
    for (step, _, _), result in results:
        print(f"{step} ({result['implementation']}):")
        for name, ok in result["checks"].items():
            failed += not ok
            print(f"  {'ok  ' if ok else 'FAIL'} {name}")
    if failed:
        raise SystemExit(f"interop: {failed} check(s) failed")
    print(f"interop: all {sum(len(r['checks']) for _, r in results)} checks passed in both directions")


if __name__ == "__main__":
    main(sys.argv[1:])
