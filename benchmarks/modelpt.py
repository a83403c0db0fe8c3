"""Benchmark: ModelPT's .nemo restore/save against plain torch, and training throughput against Lightning.

1. ``restore_from`` of a model of ``--size-mb`` float32 weights (default 1024) against the baseline
   "build the same model, ``torch.load(mmap=True)`` the same state dict saved as a plain file,
   ``load_state_dict``". Each run is a fresh process; it reports wall time (imports excluded), the peak
   resident memory added during the call (VmHWM, reset before the call) as a multiple of the weights' size,
   and the most bytes found under the process's temp folder while it ran. Restore also reports the time to
   touch every weight once after the call (ModelPT uses the memory-mapped weights in place, so pages are read
   on first use rather than during the call).
2. ``save_to`` against ``torch.save(model.state_dict())`` to a plain file, with and without fsync (same
   process, run in turns; before each write its target is deleted and dirty pages are flushed).
3. Training steps per second of a ModelPT subclass with a ``@typecheck()`` forward against a plain
   LightningModule with the same layers and data, under identically configured Trainers (alternated runs).

    uv run python benchmarks/modelpt.py [--size-mb 1024] [--repeats 3] [--train-steps 60] [--hidden 1024]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

# This file is named like the package it measures: keep its folder off the import path.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

WIDTH = 4096  # each layer is WIDTH x WIDTH float32 = 64 MiB


def _model_classes() -> tuple[type, type]:
    import torch

    from modelpt import ModelPT
    from neural_types import ChannelType, NeuralType, typecheck

    class BigModel(ModelPT):
        def __init__(self, cfg: Any, trainer: Any = None) -> None:
            super().__init__(cfg=cfg, trainer=trainer)
            self.layers = torch.nn.ModuleList(
                torch.nn.Linear(self.cfg.width, self.cfg.width, bias=False) for _ in range(self.cfg.layers)
            )

        @property
        def input_types(self) -> Any:
            return {"x": NeuralType(("B", "D"), ChannelType())}

        @typecheck()
        def forward(self, x: Any) -> Any:
            for layer in self.layers:
                x = layer(x)
            return x

        def setup_training_data(self, train_data_config: Any) -> None:
            pass

        def setup_validation_data(self, val_data_config: Any) -> None:
            pass

        @classmethod
        def list_available_models(cls) -> None:
            return None

    return BigModel, torch.nn.Linear


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _hwm_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _reset_hwm() -> None:
    with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
        f.write("5")


class _TempWatcher:
    """Samples the bytes under a folder every 5 ms and keeps the maximum."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.max_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _size(self) -> int:
        total = 0
        for root, _, files in os.walk(self.folder):
            for name in files:
                with contextlib.suppress(OSError):
                    total += os.path.getsize(os.path.join(root, name))
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.max_bytes = max(self.max_bytes, self._size())
            time.sleep(0.005)

    def __enter__(self) -> _TempWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.max_bytes = max(self.max_bytes, self._size())


def child(mode: str, nemo: str, plain: str, layers: int) -> None:
    """One measured restore in this (fresh) process; prints a JSON line."""
    import torch

    warnings.simplefilter("ignore")
    big_model, _ = _model_classes()
    cfg = {"width": WIDTH, "layers": layers}
    weights_bytes = layers * WIDTH * WIDTH * 4
    tmp = tempfile.gettempdir()
    rss0 = _rss_kib()
    _reset_hwm()
    with _TempWatcher(tmp) as watcher:
        start = time.perf_counter()
        if mode == "restore":
            model = big_model.restore_from(nemo, map_location="cpu")
        else:
            model = big_model(cfg)
            state_dict = torch.load(plain, mmap=True, weights_only=True, map_location="cpu")
            model.load_state_dict(state_dict)
            del state_dict
        elapsed = time.perf_counter() - start
    peak = (_hwm_kib() - rss0) * 1024
    start = time.perf_counter()
    with torch.no_grad():
        total = sum(float(p.sum()) for p in model.parameters())
    touch = time.perf_counter() - start
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "touch_seconds": touch,
                "peak_extra_x": peak / weights_bytes,
                "temp_bytes": watcher.max_bytes,
                "checksum": total,
            }
        )
    )


def _run_child(mode: str, nemo: Path, plain: Path, layers: int, tmp: Path) -> dict[str, float]:
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONWARNINGS": "ignore"}
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(nemo), str(plain), str(layers)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _time_saves(model: Any, nemo: Path, plain: Path, repeats: int) -> dict[str, float]:
    """Best time of each kind of write; leaves ``plain`` (torch.save) and ``nemo`` (save_to) on disk."""
    import torch

    connector = model._save_restore_connector

    def torch_save(fsync: bool) -> None:
        with open(plain, "wb") as f:
            torch.save(model.state_dict(), f)
            if fsync:
                f.flush()
                os.fsync(f.fileno())

    def save_to(durable: bool, zip_crc32: bool = True) -> None:
        connector.durable, connector.zip_crc32 = durable, zip_crc32
        model.save_to(str(nemo))
        connector.durable, connector.zip_crc32 = True, True

    # Same rules for every write, run in turns: the target is deleted first (each write creates a new file, as
    # a save does) and dirty pages are flushed (no write pays for the previous one's writeback).
    runs = {
        "torch": (lambda: torch_save(False), plain),
        "torch_fsync": (lambda: torch_save(True), plain),
        "save": (lambda: save_to(durable=False), nemo),
        "save_durable": (lambda: save_to(durable=True), nemo),
        "save_nocrc": (lambda: save_to(durable=True, zip_crc32=False), nemo),
    }
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeats):
        for key, (fn, target) in runs.items():
            target.unlink(missing_ok=True)
            os.sync()
            start = time.perf_counter()
            fn()
            best[key] = min(best[key], time.perf_counter() - start)
    torch_save(False)  # the plain file the restore baseline loads
    save_to(durable=True)
    return best


def bench_io(size_mb: int, repeats: int, workdir: Path) -> None:

    big_model, _ = _model_classes()
    layers = max(1, round(size_mb * 2**20 / (WIDTH * WIDTH * 4)))
    weights_mb = layers * WIDTH * WIDTH * 4 / 2**20
    model = big_model({"width": WIDTH, "layers": layers})
    nemo = workdir / "big.nemo"
    plain = workdir / "big.pt"
    best = _time_saves(model, nemo, plain, repeats)
    del model
    print(
        f"\n== .nemo IO, {layers} x Linear({WIDTH}, {WIDTH}) = {weights_mb:.0f} MiB float32, best of {repeats} =="
    )
    t, tf = best["torch"], best["torch_fsync"]
    print(
        f"save_to (durable=False) {best['save']:6.3f} s   torch.save {t:6.3f} s   ratio {best['save'] / t:5.2f}x"
        "  (target <= 1.3x; atomic, hashed, no fsync)"
    )
    print(
        f"save_to (default)       {best['save_durable']:6.3f} s   torch.save + fsync {tf:6.3f} s   ratio "
        f"{best['save_durable'] / tf:5.2f}x  (fsync + rename)"
    )
    print(
        f"  zip_crc32=False       {best['save_nocrc']:6.3f} s   ratio {best['save_nocrc'] / tf:5.2f}x"
        "  (fsync, no CRC-32 pass; SHA-256 still computed)"
    )

    tmp = workdir / "tmp"
    tmp.mkdir(exist_ok=True)
    results: dict[str, list[dict[str, float]]] = {"restore": [], "baseline": []}
    for _ in range(repeats):
        for mode in ("baseline", "restore"):
            results[mode].append(_run_child(mode, nemo, plain, layers, tmp))
    if len({round(r["checksum"], 2) for rs in results.values() for r in rs}) != 1:
        raise SystemExit("restored weights differ from the baseline's")

    def best(mode: str, key: str) -> float:
        return min(r[key] for r in results[mode])

    r, b = best("restore", "seconds"), best("baseline", "seconds")
    rt, bt = best("restore", "touch_seconds"), best("baseline", "touch_seconds")
    print(
        f"restore_from     {r:7.3f} s   build + torch.load(mmap) + load_state_dict {b:7.3f} s   ratio {r / b:5.2f}x"
        "  (target <= 1.2x)"
    )
    print(
        f"  + first touch  {r + rt:7.3f} s   baseline + first touch {b + bt:7.3f} s   ratio "
        f"{(r + rt) / (b + bt):5.2f}x"
    )
    print(
        f"peak extra RSS   {best('restore', 'peak_extra_x'):5.2f}x weights   baseline "
        f"{best('baseline', 'peak_extra_x'):5.2f}x   (target <= 1.2x; nemo_toolkit 2x)"
    )
    print(
        f"temp bytes       {int(max(x['temp_bytes'] for x in results['restore']))}   baseline "
        f"{int(max(x['temp_bytes'] for x in results['baseline']))}   (target 0)"
    )


def bench_training(
    steps: int, hidden: int, batch: int, repeats: int, workdir: Path, accelerator: str
) -> None:
    import lightning.pytorch as pl
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from modelpt import ModelPT
    from neural_types import ChannelType, LogitsType, NeuralType, typecheck

    torch.manual_seed(0)
    data = TensorDataset(torch.randn(batch * 8, hidden), torch.randint(0, 10, (batch * 8,)))

    def layers() -> torch.nn.Sequential:
        return torch.nn.Sequential(
            torch.nn.Linear(hidden, hidden),
            torch.nn.ReLU(),
            torch.nn.Linear(hidden, hidden),
            torch.nn.ReLU(),
            torch.nn.Linear(hidden, 10),
        )

    class Typed(ModelPT):
        def __init__(self, cfg: Any, trainer: Any = None) -> None:
            super().__init__(cfg=cfg, trainer=trainer)
            self.net = layers()
            self.loss = torch.nn.CrossEntropyLoss()

        @property
        def input_types(self) -> Any:
            return {"x": NeuralType(("B", "D"), ChannelType())}

        @property
        def output_types(self) -> Any:
            return {"logits": NeuralType(("B", "D"), LogitsType())}

        @typecheck()
        def forward(self, x: Any) -> Any:
            return self.net(x)

        def training_step(self, batch: Any, batch_idx: int) -> Any:
            x, y = batch
            return self.loss(self(x=x), y)

        def setup_training_data(self, train_data_config: Any) -> None:
            self._train_dl = DataLoader(data, batch_size=batch, shuffle=False)

        def setup_validation_data(self, val_data_config: Any) -> None:
            pass

        @classmethod
        def list_available_models(cls) -> None:
            return None

    class Plain(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = layers()
            self.loss = torch.nn.CrossEntropyLoss()

        def forward(self, x: Any) -> Any:
            return self.net(x)

        def training_step(self, batch: Any, batch_idx: int) -> Any:
            x, y = batch
            return self.loss(self(x), y)

        def train_dataloader(self) -> Any:
            return DataLoader(data, batch_size=batch, shuffle=False)

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=0.01)

    class Timer(pl.Callback):
        def __init__(self) -> None:
            self.times: list[float] = []

        def on_train_batch_start(self, *args: Any) -> None:
            self.times.append(time.perf_counter())

    def run(kind: str) -> float:
        timer = Timer()
        trainer = pl.Trainer(
            accelerator=accelerator,
            devices=1,
            max_steps=steps,
            max_epochs=-1,
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            callbacks=[timer],
            default_root_dir=str(workdir),
        )
        model: Any = (
            Typed({"train_ds": {}, "optim": {"name": "sgd", "lr": 0.01}}) if kind == "modelpt" else Plain()
        )
        trainer.fit(model)
        warm = steps // 5
        span = timer.times[-1] - timer.times[warm]
        # free this run's model before the next one (ModelPT holds reference cycles), so runs start alike
        del model, trainer
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
            torch.cuda.empty_cache()
        return (len(timer.times) - 1 - warm) / span

    rates: dict[str, list[float]] = {"modelpt": [], "plain": []}
    for i in range(repeats):
        # alternate which model runs first, so warm-up and allocator state favour neither
        for kind in ("plain", "modelpt") if i % 2 == 0 else ("modelpt", "plain"):
            rates[kind].append(run(kind))
    m, p = statistics.median(rates["modelpt"]), statistics.median(rates["plain"])
    print(
        f"\n== training on {accelerator}, MLP {hidden}-{hidden}-10, batch {batch}, {steps} steps, median of {repeats} =="
    )
    print(f"plain LightningModule       {p:8.1f} steps/s  ({1e3 / p:6.2f} ms/step)")
    print(f"ModelPT + @typecheck        {m:8.1f} steps/s  ({1e3 / m:6.2f} ms/step)")
    print(f"ratio                       {m / p:8.3f}x  (target >= 0.97x for steps of 5 ms or more)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=int, default=1024, help="weights size of the save/restore model")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--train-steps", type=int, default=60)
    parser.add_argument("--hidden", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--accelerator", default="cpu", help="Lightning accelerator of the training runs")
    parser.add_argument("--skip-io", action="store_true")
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument(
        "--child", nargs=4, metavar=("MODE", "NEMO", "PLAIN", "LAYERS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        mode, nemo, plain, layers = args.child
        child(mode, nemo, plain, int(layers))
        return
    warnings.simplefilter("ignore")
    import logging

    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="modelpt-bench-") as work:
        if not args.skip_io:
            bench_io(args.size_mb, args.repeats, Path(work))
        if not args.skip_training:
            bench_training(
                args.train_steps, args.hidden, args.batch, args.repeats, Path(work), args.accelerator
            )


if __name__ == "__main__":
    main()
