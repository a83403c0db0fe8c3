"""One benchmark workload in this process, under whichever implementation this interpreter has installed.

Run by ``run.py`` with the interpreter of the workspace venv (nemo-core) or of nemo_toolkit's venv; the code
is the same for both because it goes through NeMo's import paths (``nemo.core``), which both provide. Each
call prints one line ``@@RESULT <json>`` with every sample. Workloads:

    io SIZE_BYTES RUNS WORKDIR     save_to, config read and restore_from of a model of SIZE_BYTES weights
    limit SIZE_BYTES RUNS WORKDIR  torch.save / torch.load(mmap=True) / raw read of the same state dict
    typecheck CALLS REPEATS        per-call cost of a ``@typecheck()`` method against the undecorated one
    train STEPS HIDDEN BATCH REPEATS WORKDIR  steps/s of ModelPT and of a plain LightningModule, same Trainer

Every workload runs torch with one intra-op thread (see ``main``).
"""

from __future__ import annotations

import gc
import importlib.util
import itertools
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
import timeit
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
# the shared model classes live at shared/tests/core/ (a dotted path nemo_toolkit agrees to restore)
sys.path.insert(0, str(_HERE / "shared"))


def _load_modelpt_bench() -> Any:
    """benchmarks/modelpt.py (its memory and temp-folder probes), loaded under a name that shadows nothing."""
    spec = importlib.util.spec_from_file_location("_modelpt_bench", _HERE.parent / "modelpt.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {_HERE.parent / 'modelpt.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_probes = _load_modelpt_bench()
LAYERS = 8


def emit(result: dict[str, Any]) -> None:
    """Print the result line the driver parses (everything else on stdout is the libraries' chatter)."""
    print("@@RESULT " + json.dumps(result), flush=True)


def width_for(size_bytes: int) -> int:
    """The layer width that puts ``size_bytes`` of float32 weights into ``LAYERS`` square layers."""
    return max(8, int(math.sqrt(size_bytes / (LAYERS * 4))))


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


@contextmanager
def measured(tmp_root: Path, dest: Path) -> Iterator[dict[str, float]]:
    """Wall time, peak RSS added during the block, and the most temporary disk bytes it used.

    Temporary bytes are those under a fresh TMPDIR plus those in ``dest`` (the folder the block writes into
    or reads from) beyond what it holds before and after: a temp file written next to the target counts.

    Every block starts with nothing left to write back (``os.sync()``, untimed): otherwise the pages an
    earlier block or process left dirty (nemo_toolkit's saves do not fsync, nor does ``durable=False``) are
    flushed during whichever block comes next, and a durable save's fsync waits behind them.
    """
    tmp = Path(tempfile.mkdtemp(dir=tmp_root))
    saved_tmp = tempfile.tempdir
    os.environ["TMPDIR"] = tempfile.tempdir = str(tmp)
    dest.mkdir(parents=True, exist_ok=True)
    before_dest = _folder_bytes(dest)
    os.sync()
    gc.collect()
    out: dict[str, float] = {}
    rss0 = _probes._rss_kib()
    _probes._reset_hwm()
    with _probes._TempWatcher(str(tmp)) as tmp_watch, _probes._TempWatcher(str(dest)) as dest_watch:
        start = time.perf_counter()
        yield out
        out["seconds"] = time.perf_counter() - start
    out["peak_rss_added_bytes"] = (_probes._hwm_kib() - rss0) * 1024
    after_dest = _folder_bytes(dest)
    out["temp_bytes"] = tmp_watch.max_bytes + max(0, dest_watch.max_bytes - max(before_dest, after_dest))
    tempfile.tempdir = saved_tmp
    os.environ["TMPDIR"] = str(tmp_root)
    shutil.rmtree(tmp, ignore_errors=True)


def _touch(model: Any) -> tuple[float, float]:
    """Seconds to read every weight once (memory-mapped weights are paged in here), and their sum."""
    import torch

    start = time.perf_counter()
    with torch.no_grad():
        total = sum(float(p.double().sum()) for p in model.parameters())
    return time.perf_counter() - start, total


def _durable_torch_save(model: Any, workdir: Path, folder: Path) -> dict[str, float]:
    """torch.save of ``model``'s state dict to a plain file, then fsync: the durable limit, measured in place.

    The io workload of an implementation with a durable writer times this back to back with its ``save_to``
    (alternating which goes first), so each pair shares the disk's state of the moment: a shared disk's slow
    spells last for seconds and would otherwise decide the durable ratio (see ``limit`` for the same figure
    measured in a process of its own).
    """
    import torch

    path = folder / "weights.pt"
    with measured(workdir, folder) as save:
        torch.save(model.state_dict(), path)
        with open(path, "rb+") as f:
            os.fsync(f.fileno())
    path.unlink()
    return save


def io(size_bytes: int, runs: int, workdir: Path) -> None:
    """save_to, config read and restore_from, ``runs`` times, of one model."""
    import torch
    from omegaconf import OmegaConf
    from tests.core.compare_models import WeightsModel

    width = width_for(size_bytes)
    torch.manual_seed(0)
    model = WeightsModel(OmegaConf.create({"width": width, "layers": LAYERS}))
    samples: dict[str, list[dict[str, float]]] = {"save_to": [], "config": [], "restore_from": []}
    # samples["save_to (no fsync)"] too where the implementation has that switch
    # and samples["torch.save + fsync (paired)"], one per durable save_to, taken right before or after it
    connector = model._save_restore_connector
    durable = hasattr(connector, "durable")  # nemo-core's writer fsyncs by default; nemo_toolkit's does not
    for run in range(runs):
        folder = workdir / f"run{run}"
        path = folder / "model.nemo"
        pair: list[dict[str, float]] = []
        if durable and run % 2:
            pair.append(_durable_torch_save(model, workdir, folder))
        with measured(workdir, folder) as save:
            model.save_to(str(path))
        save["file_bytes"] = path.stat().st_size
        if durable and not pair:
            pair.append(_durable_torch_save(model, workdir, folder))
        if pair:
            samples.setdefault("torch.save + fsync (paired)", []).extend(pair)
        if durable:
            connector.durable = False
            path.unlink()
            with measured(workdir, folder) as fast:
                model.save_to(str(path))
            connector.durable = True
            samples.setdefault("save_to (no fsync)", []).append(fast)
        with measured(workdir, folder) as config:
            cfg = WeightsModel.restore_from(str(path), return_config=True)
        assert int(cfg.width) == width, cfg
        with measured(workdir, folder) as restore:
            restored = WeightsModel.restore_from(str(path), map_location="cpu")
        restore["touch_seconds"], restore["checksum"] = _touch(restored)
        del restored
        shutil.rmtree(folder)
        for name, sample in (("save_to", save), ("config", config), ("restore_from", restore)):
            samples[name].append(sample)
    emit({"width": width, "layers": LAYERS, "weights_bytes": width * width * LAYERS * 4, **samples})


def limit(size_bytes: int, runs: int, workdir: Path) -> None:
    """The hardware limit: torch.save, torch.load(mmap=True) and a raw sequential read of the same weights.

    Also "build + torch.load(mmap=True) + load_state_dict": the least a restore of the same layers can do.
    """
    import torch

    width = width_for(size_bytes)

    def build() -> torch.nn.Module:
        # the same layers, initialised in the same order as WeightsModel's: the same state dict
        torch.manual_seed(0)
        layers = torch.nn.ModuleList(torch.nn.Linear(width, width, bias=False) for _ in range(LAYERS))
        holder = torch.nn.Module()
        holder.layers = layers
        return holder

    state = build().state_dict()
    names = ("torch.save", "torch.load(mmap)", "build + load_state_dict", "raw read")
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    buffer = bytearray(16 * 2**20)
    for run in range(runs):
        folder = workdir / f"run{run}"
        path = folder / "weights.pt"
        with measured(workdir, folder) as save:
            torch.save(state, path)
        start = time.perf_counter()
        with open(path, "rb+") as f:  # what a durable writer adds: the bytes reach the disk
            os.fsync(f.fileno())
        save["fsync_seconds"] = time.perf_counter() - start
        save["file_bytes"] = path.stat().st_size
        with measured(workdir, folder) as load:
            loaded = torch.load(path, mmap=True, weights_only=True, map_location="cpu")
        start = time.perf_counter()
        load["checksum"] = sum(float(t.double().sum()) for t in loaded.values())
        load["touch_seconds"] = time.perf_counter() - start
        del loaded
        with measured(workdir, folder) as into:
            model = build()
            model.load_state_dict(torch.load(path, mmap=True, weights_only=True, map_location="cpu"))
        into["touch_seconds"], into["checksum"] = _touch(model)
        del model
        with measured(workdir, folder) as read, open(path, "rb", buffering=0) as f:
            while f.readinto(buffer):
                pass
        shutil.rmtree(folder)
        for name, sample in zip(names, (save, load, into, read), strict=True):
            samples[name].append(sample)
    emit({"width": width, "layers": LAYERS, "weights_bytes": width * width * LAYERS * 4, **samples})


def typecheck_overhead(calls: int, repeats: int) -> None:
    """µs per call of the undecorated and the ``@typecheck()`` method, interleaved within each repeat."""
    import torch
    from tests.core.compare_models import Checked, Undecorated

    from nemo.core.neural_types import ChannelType, NeuralType

    x = torch.randn(4, 8)
    x.neural_type = NeuralType(("B", "D"), ChannelType())  # as if produced by an upstream typed module
    plain, checked = Undecorated(), Checked()
    modes: dict[str, Callable[[], Any]] = {
        "undecorated": lambda: plain.forward(x=x),
        "typecheck": lambda: checked.forward(x=x),
    }
    for fn in modes.values():  # warm the caches and let the interpreter specialize both paths
        timeit.timeit(fn, number=min(calls, 2000))
    rows: dict[str, list[float]] = {name: [] for name in modes}
    for _ in range(repeats):
        for name, fn in modes.items():
            rows[name].append(timeit.timeit(fn, number=calls) / calls * 1e6)
    overhead = [c - u for c, u in zip(rows["typecheck"], rows["undecorated"], strict=True)]
    # timeit's estimator: interference on a shared machine only ever adds time, so the fastest repeat of each
    # mode is the best estimate of its cost in this process
    best = min(rows["typecheck"]) - min(rows["undecorated"])
    emit({"calls": calls, "us_per_call": rows, "overhead_us": overhead, "best_overhead_us": best})


def train(steps: int, hidden: int, batch: int, repeats: int, workdir: Path) -> None:
    """Steps/s (1 / median step time) of ModelPT (``@typecheck()`` forward) and a plain LightningModule, alternated."""
    import logging

    import lightning.pytorch as pl
    import torch
    from omegaconf import OmegaConf
    from tests.core.compare_models import TrainModel, mlp, train_data
    from torch.utils.data import DataLoader

    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)

    class Plain(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = mlp(hidden)
            self.loss = torch.nn.CrossEntropyLoss()

        def forward(self, x: Any) -> Any:
            return self.net(x)

        def training_step(self, batch_: Any, batch_idx: int) -> Any:
            x, y = batch_
            return self.loss(self(x), y)

        def train_dataloader(self) -> Any:
            return DataLoader(train_data(hidden, batch), batch_size=batch, shuffle=False)

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=0.01)

    class Timer(pl.Callback):
        def __init__(self) -> None:
            self.times: list[float] = []

        def on_train_batch_start(self, *args: Any) -> None:
            self.times.append(time.perf_counter())

    def run(kind: str) -> float:
        torch.manual_seed(0)
        timer = Timer()
        trainer = pl.Trainer(
            accelerator="cpu",
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
        cfg = {"hidden": hidden, "train_ds": {"batch_size": batch}, "optim": {"name": "sgd", "lr": 0.01}}
        model: Any = TrainModel(OmegaConf.create(cfg)) if kind == "modelpt" else Plain()
        trainer.fit(model)
        warm = steps // 5  # the first steps warm allocators and caches
        times = timer.times[warm:]
        # 1 / the median step time: a step that another process on this shared machine stalled shifts the
        # mean, not the median
        step = statistics.median(b - a for a, b in itertools.pairwise(times))
        del model, trainer
        gc.collect()
        return 1 / step

    rates: dict[str, list[float]] = {"modelpt": [], "plain": []}
    for i in range(repeats):
        for kind in ("plain", "modelpt") if i % 2 == 0 else ("modelpt", "plain"):
            rates[kind].append(run(kind))
    emit({"steps": steps, "hidden": hidden, "batch": batch, "steps_per_s": rates})


def main(argv: list[str]) -> None:
    """Dispatch ``argv`` (workload name, then its positional arguments)."""
    import torch

    warnings.simplefilter("ignore")
    # One intra-op thread for every workload and implementation: on a small shared machine a second thread
    # that waits for a busy core made training step times swing by up to 10x between runs.
    torch.set_num_threads(1)
    name, args = argv[0], argv[1:]
    if name == "io":
        io(int(args[0]), int(args[1]), Path(args[2]))
    elif name == "limit":
        limit(int(args[0]), int(args[1]), Path(args[2]))
    elif name == "typecheck":
        typecheck_overhead(int(args[0]), int(args[1]))
    elif name == "train":
        train(int(args[0]), int(args[1]), int(args[2]), int(args[3]), Path(args[4]))
    else:
        raise SystemExit(f"unknown workload {name!r}; expected io, limit, typecheck or train")


if __name__ == "__main__":
    main(sys.argv[1:])
