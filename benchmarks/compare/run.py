"""nemo-core against nemo_toolkit and the hardware limit, measured in one run on one machine.

Every workload runs in a fresh subprocess of the right interpreter: ``--ours-python`` (a venv with the
nemo-core packages) and ``--toolkit-python`` (a venv with nemo_toolkit); both import the same code through
NeMo's import paths (``workloads.py``). This driver needs only the standard library, plus matplotlib for the
chart. ``uv run nox -s bench`` builds both venvs and calls it; to iterate quickly::

    uv run nox -s bench -- --sizes 10MB,200MB --runs 3 --sections io

Writes ``bench.md`` (also printed), ``bench.json`` (every sample) and ``bench.png`` into ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(_HERE))

import report  # noqa: E402 - the sibling module, found through the line above

WORKLOADS = _HERE / "workloads.py"
OURS_IMPORTS = [
    "neural_types",
    "nemo_archive",
    "optim_registry",
    "hf_io",
    "expmanager",
    "modelpt",
    "nemo",
    "nemo.core",
]
TOOLKIT_IMPORTS = ["nemo", "nemo.core"]
LIMIT_IMPORTS = ["torch"]
SECTIONS = ("imports", "io", "typecheck", "train")
TYPECHECK_REPEATS = 7  # interleaved (undecorated, typecheck) repeats in each process


def parse_size(text: str) -> int:
    """``10MB``, ``200MB``, ``1GB`` (binary units: MB = 2**20 bytes) as a number of bytes."""
    units = {"KB": 2**10, "MB": 2**20, "GB": 2**30}
    text = text.strip().upper()
    for unit, factor in units.items():
        if text.endswith(unit):
            return int(float(text[: -len(unit)]) * factor)
    raise argparse.ArgumentTypeError(f"size {text!r} must end in KB, MB or GB, e.g. 200MB")


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV"}}
    env.update({"TMPDIR": str(tmp), "PYTHONWARNINGS": "ignore", "TOKENIZERS_PARALLELISM": "false"})
    return env


def workload(python: str, args: list[str], tmp: Path) -> dict[str, Any]:
    """Run one workload in a fresh ``python`` process and return its ``@@RESULT`` JSON."""
    out = subprocess.run(
        [python, str(WORKLOADS), *args], capture_output=True, text=True, env=_env(tmp), check=False
    )
    for line in reversed(out.stdout.splitlines()):
        if line.startswith("@@RESULT "):
            return json.loads(line[len("@@RESULT ") :])  # type: ignore[no-any-return]
    raise RuntimeError(
        f"workload {args} under {python} printed no result (exit {out.returncode}):\n{out.stderr[-4000:]}"
    )


def import_ms(python: str, module: str, tmp: Path) -> float:
    """Milliseconds to import ``module`` in a fresh interpreter (start-up excluded)."""
    code = f"import time; t = time.perf_counter(); import {module}; print((time.perf_counter() - t) * 1e3)"
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, env=_env(tmp), check=True)
    return float(out.stdout.strip().splitlines()[-1])


def bench_imports(pythons: dict[str, str], runs: int, tmp: Path) -> dict[str, dict[str, list[float]]]:
    """Every module's import time; the runs go round all modules in turn so load spikes hit all alike."""
    plan = [("ours", m) for m in OURS_IMPORTS]
    plan += [("nemo_toolkit", m) for m in TOOLKIT_IMPORTS] + [("limit", m) for m in LIMIT_IMPORTS]
    samples: dict[str, dict[str, list[float]]] = {impl: {} for impl in pythons}
    for impl, module in plan:  # the warm-up run writes the bytecode caches
        import_ms(pythons[impl], module, tmp)
    for run in range(runs):
        _log(f"imports, run {run + 1}/{runs}")
        for impl, module in plan:
            samples[impl].setdefault(module, []).append(import_ms(pythons[impl], module, tmp))
    return samples


def versions(python: str, tmp: Path) -> dict[str, str]:
    """Versions of the libraries that matter, as the interpreter sees them."""
    code = (
        "import importlib.metadata as m, json, platform\n"
        "names = ['torch', 'lightning', 'omegaconf', 'hydra-core', 'nemo_toolkit', 'nemo-core', 'modelpt']\n"
        "out = {'python': platform.python_version()}\n"
        "for n in names:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(out))\n"
    )
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, env=_env(tmp), check=True)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    info: dict[str, Any] = {"platform": platform.platform(), "cpus": os.cpu_count()}
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace").splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemTotal"):
                info["memory_gib"] = round(int(line.split()[1]) / 2**20, 1)
        info["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    return info


def run_sections(
    args: argparse.Namespace, sections: list[str], pythons: dict[str, str], tmp: Path
) -> dict[str, Any]:
    """Every chosen section's samples, with the machine and the library versions they ran on."""
    sizes = [(text.strip(), parse_size(text)) for text in args.sizes.split(",")]
    results: dict[str, Any] = {
        "machine": machine(),
        "versions": {impl: versions(pythons[impl], tmp) for impl in ("ours", "nemo_toolkit")},
        # the interpreters and the output folder are paths of this machine: not part of the record
        "settings": {
            k: v for k, v in vars(args).items() if k not in {"ours_python", "toolkit_python", "out"}
        },
    }
    if "imports" in sections:
        results["imports"] = bench_imports(pythons, args.import_runs, tmp)
    if "io" in sections:
        results["io"] = {}
        impls = (("limit", "limit"), ("ours", "io"), ("nemo_toolkit", "io"))
        for label, size in sizes:
            runs = args.big_runs if size >= 512 * 2**20 else args.runs
            rounds = max(1, min(args.io_rounds, runs))
            results["io"][label] = {}
            # The runs are split over `rounds` processes per implementation, and each round rotates the order
            # of the implementations: a busy spell of this machine then hits all three alike, instead of the
            # block of runs that happened to be under way.
            for round_ in range(rounds):
                share = runs // rounds + (1 if round_ < runs % rounds else 0)
                for impl, kind in impls[round_ % 3 :] + impls[: round_ % 3]:
                    _log(f"io {label}: {impl}, round {round_ + 1}/{rounds}, {share} runs")
                    folder = tmp / f"io-{impl}-{label}-{round_}"
                    folder.mkdir()
                    got = workload(pythons[impl], [kind, str(size), str(share), str(folder)], tmp)
                    merged = results["io"][label].setdefault(impl, {})
                    for key, value in got.items():
                        if isinstance(value, list):
                            merged.setdefault(key, []).extend(value)
                        else:
                            merged[key] = value
    if "typecheck" in sections:
        # rounds alternate between the implementations so that a busy spell of the machine hits both
        results["typecheck"] = {}
        for round_ in range(args.typecheck_rounds):
            for impl in ("ours", "nemo_toolkit") if round_ % 2 == 0 else ("nemo_toolkit", "ours"):
                _log(f"typecheck: {impl}, round {round_ + 1}/{args.typecheck_rounds}")
                got = workload(pythons[impl], ["typecheck", str(args.calls), str(TYPECHECK_REPEATS)], tmp)
                merged = results["typecheck"].setdefault(
                    impl,
                    {"calls": got["calls"], "us_per_call": {}, "overhead_us": [], "best_overhead_us": []},
                )
                for mode, values in got["us_per_call"].items():
                    merged["us_per_call"].setdefault(mode, []).extend(values)
                merged["overhead_us"].extend(got["overhead_us"])
                merged["best_overhead_us"].append(got["best_overhead_us"])
    if "train" in sections:
        results["train"] = {}
        for impl in ("ours", "nemo_toolkit"):
            _log(f"training: {impl}")
            params = [args.train_steps, args.hidden, args.batch, args.train_repeats]
            results["train"][impl] = workload(pythons[impl], ["train", *map(str, params), str(tmp)], tmp)
    return results


def main(argv: list[str] | None = None) -> None:
    """Parse the flags, run the chosen sections, write the report."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--ours-python", required=True, help="interpreter of the nemo-core venv")
    parser.add_argument("--toolkit-python", required=True, help="interpreter of the nemo_toolkit venv")
    parser.add_argument("--sizes", default="10MB,200MB,1GB", help="weights sizes of save/restore")
    parser.add_argument("--runs", type=int, default=6, help="runs per figure")
    parser.add_argument("--big-runs", type=int, default=6, help="runs per figure for sizes of 512MB or more")
    parser.add_argument(
        "--io-rounds",
        type=int,
        default=3,
        help="processes per implementation and size the runs are split over",
    )
    parser.add_argument("--import-runs", type=int, default=5)
    parser.add_argument("--calls", type=int, default=10000, help="calls per typecheck sample")
    parser.add_argument(
        "--typecheck-rounds",
        type=int,
        default=6,
        help="processes per implementation for the typecheck figure, alternating between the two",
    )
    parser.add_argument("--train-steps", type=int, default=100)
    parser.add_argument("--train-repeats", type=int, default=5)
    parser.add_argument("--hidden", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--sections", default=",".join(SECTIONS), help="which parts to run")
    parser.add_argument("--out", type=Path, default=_HERE.parent / "results")
    args = parser.parse_args(argv)
    for text in args.sizes.split(","):
        parse_size(text)  # fail on a bad size before anything runs
    sections = [s.strip() for s in args.sections.split(",")]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
    pythons = {"ours": args.ours_python, "nemo_toolkit": args.toolkit_python, "limit": args.ours_python}

    started = time.time()
    with tempfile.TemporaryDirectory(prefix="nemo-bench-") as work:
        results = run_sections(args, sections, pythons, Path(work))
    results["seconds_total"] = time.time() - started
    args.out.mkdir(parents=True, exist_ok=True)
    table = report.markdown(results)
    report.write_atomic(args.out / "bench.json", (json.dumps(results, indent=1) + "\n").encode())
    report.write_atomic(args.out / "bench.md", table.encode())
    if "io" in results:
        report.chart(results, args.out / "bench.png")
    print(table)


if __name__ == "__main__":
    main()
