"""Benchmark: import time of neural_types and the per-call overhead of ``@typecheck()``.

Prints, for a module method with one typed input and one typed output (types built in a property on every
call, as NeMo modules do), the median µs per call of: the undecorated method, checks on (with a semantic
check of an input that carries a neural type), semantic checks off, and checks disabled; then the overhead
of each against the undecorated call and the issue's targets (≤ 5 µs on, ≤ 0.5 µs disabled).

Uses torch tensors when torch is installed (the realistic case), otherwise a small array-like object.

    uv run python benchmarks/typecheck.py [--calls 20000] [--repeats 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import timeit

from neural_types import ChannelType, LogitsType, NeuralType, Typing, typecheck


def _import_time_ms(module: str, runs: int) -> list[float]:
    """Import time in fresh interpreters, after one warm-up run that writes the bytecode cache."""
    code = f"import time; t = time.perf_counter(); import {module}; print((time.perf_counter() - t) * 1e3)"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    samples = []
    for i in range(runs + 1):
        out = subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env
        )
        if i == 0:
            continue
        samples.append(float(out.stdout))
    return samples


def _torch_loaded_by(module: str) -> bool:
    code = f"import sys, {module}; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return out.stdout.strip() == "True"


def _make_input():
    try:
        import torch
    except ImportError:

        class Array:
            def __init__(self, *shape: int) -> None:
                self.shape = shape

            def detach(self) -> Array:
                return Array(*self.shape)

        return Array(4, 8), "array-like stand-in (torch not installed)"
    return torch.randn(4, 8), f"torch {torch.__version__} tensors"


class Base(Typing):
    @property
    def input_types(self):
        return {"x": NeuralType(("B", "D"), ChannelType())}

    @property
    def output_types(self):
        return {"logits": NeuralType(("B", "D"), LogitsType())}


class Plain(Base):
    def forward(self, x):
        return x.detach()


class Checked(Base):
    @typecheck()
    def forward(self, x):
        return x.detach()


def _per_call_us(fn, calls: int, repeats: int) -> list[float]:
    return [t / calls * 1e6 for t in timeit.repeat(fn, number=calls, repeat=repeats)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--import-runs", type=int, default=15)
    args = parser.parse_args()

    imports = _import_time_ms("neural_types", args.import_runs)
    baseline_imports = _import_time_ms("json", args.import_runs)
    print(
        f"import neural_types (fresh interpreter, median of {args.import_runs}): "
        f"{statistics.median(imports):.2f} ms (min {min(imports):.2f}, max {max(imports):.2f}); "
        f"target < 30 ms; ratio to `import json`: "
        f"{statistics.median(imports) / statistics.median(baseline_imports):.1f}x"
    )
    print(f"torch imported by `import neural_types`: {_torch_loaded_by('neural_types')}")

    x, kind = _make_input()
    x.neural_type = NeuralType(("B", "D"), ChannelType())  # as if produced by an upstream typed module
    plain, checked = Plain(), Checked()
    checked.forward(x=x)  # warm the caches

    def on() -> None:
        checked.forward(x=x)

    def semantic_off() -> None:
        with typecheck.disable_semantic_checks():
            for _ in range(args.calls):
                checked.forward(x=x)

    def disabled() -> None:
        with typecheck.disable_checks():
            for _ in range(args.calls):
                checked.forward(x=x)

    # The modes are interleaved within each repeat, so a noisy moment on this shared machine hits all of
    # them alike; the overhead is the median of the per-repeat differences to the undecorated call.
    modes = {
        "undecorated": lambda: timeit.timeit(lambda: plain.forward(x=x), number=args.calls),
        "checks on": lambda: timeit.timeit(on, number=args.calls),
        "semantic checks off": lambda: timeit.timeit(semantic_off, number=1),
        "checks disabled": lambda: timeit.timeit(disabled, number=1),
    }
    rows: dict[str, list[float]] = {name: [] for name in modes}
    for _ in range(args.repeats):
        for name, measure in modes.items():
            rows[name].append(measure() / args.calls * 1e6)

    targets = {"checks on": 5.0, "semantic checks off": 5.0, "checks disabled": 0.5}
    print(f"\n@typecheck() per call, {kind}, {args.repeats} interleaved repeats x {args.calls} calls:")
    print("| mode | µs/call (median) | min | max | overhead µs (median of paired differences) | target |")
    print("|---|---|---|---|---|---|")
    for name, samples in rows.items():
        overhead = statistics.median(s - b for s, b in zip(samples, rows["undecorated"], strict=True))
        target = f"≤ {targets[name]} µs" if name in targets else "-"
        print(
            f"| {name} | {statistics.median(samples):.2f} | {min(samples):.2f} | {max(samples):.2f} | "
            f"{overhead:+.2f} | {target} |"
        )


if __name__ == "__main__":
    main()
