"""Benchmark nemo-archive against the baselines it replaces, measured in the same run.

    uv run --package nemo-archive python benchmarks/archive.py              # 1 GB of fp32 weights
    uv run --package nemo-archive python benchmarks/archive.py --size-mb 200

Figures (median of --repeats runs, best-of for writes; ratio = ours / baseline):
- import time of ``nemo_archive`` in a fresh interpreter, vs the interpreter's own start-up;
- in-process config read of the archive, vs ``yaml.safe_load`` of the same config as a plain file;
- ``nemo-archive config FILE`` in a fresh process, vs ``python -c pass``;
- weight load from the archive, vs ``torch.load(mmap=True, weights_only=True)`` of the same ckpt as a
  standalone file: time, bytes written (temp files), peak extra RSS;
- archive write (config, manifest hashes, weights; with and without fsync) vs ``torch.save`` to a plain file
  (both create a new file each time).
- ``verify`` of a NeMo-written archive (no manifest: CRC-32 of every weights record) vs a sequential read
  of the same file.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _interleaved_min(fns, targets: list[Path], repeats: int) -> tuple[list[float], list[list[float]]]:
    """Best time and best CPU time of each write (then every wall time), run in turns under the same load.

    Before each (untimed): its target is deleted, so every write creates a new file as a save does, and the
    page cache is flushed, so no write pays for the dirty pages of the previous one.
    """
    best = [float("inf")] * len(fns)
    cpu = [float("inf")] * len(fns)
    every: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for i, (fn, target) in enumerate(zip(fns, targets, strict=True)):
            target.unlink(missing_ok=True)
            os.sync()
            before = _cpu()
            start = time.perf_counter()
            fn()
            every[i].append(time.perf_counter() - start)
            best[i] = min(best[i], every[i][-1])
            cpu[i] = min(cpu[i], _cpu() - before)
    return best + cpu, every


def _cpu() -> float:
    """User + system CPU seconds of this process, all threads: a figure machine load does not inflate."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _fresh(code: str, repeats: int) -> float:
    def run() -> None:
        subprocess.run([sys.executable, "-c", code], check=True)

    return _median_time(run, repeats)


def _line(
    label: str, ours: float, base: float, base_label: str, *, unit: str = "ms", scale: float = 1e3
) -> None:
    ratio = ours / base if base else float("inf")
    print(
        f"{label:<52} {ours * scale:10.1f} {unit}   baseline {base * scale:10.1f} {unit}"
        f"   ratio {ratio:5.2f}x"
        f"   ({base_label})"
    )


_LOAD_PROBE = r"""
import json, os, resource, sys, time, torch
def anon():
    with open("/proc/self/status") as f:
        return int(next(l for l in f if l.startswith("RssAnon")).split()[1]) * 1024
def maxrss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
def wchar():
    with open("/proc/self/io") as f:
        return int(next(l for l in f if l.startswith("wchar")).split()[1])
mode, path = sys.argv[1], sys.argv[2]
if mode == "ours":
    import nemo_archive
    archive = nemo_archive.Archive(path)
    load = lambda: archive.load_state_dict("cpu")
else:
    load = lambda: torch.load(path, mmap=True, weights_only=True, map_location="cpu")
load()  # warm the code paths
base_anon, base_peak, base_w = anon(), maxrss(), wchar()
start = time.perf_counter()
sd = load()
elapsed = time.perf_counter() - start
written = wchar() - base_w
peak = maxrss() - base_peak  # growth of the process's peak RSS during the load
held = anon() - base_anon  # anonymous (non file-backed) memory the loaded state dict holds
touch = time.perf_counter()
total = sum(float(t.sum()) for t in sd.values())
touch = time.perf_counter() - touch
print(json.dumps({"load": elapsed, "written": written, "peak_extra": peak, "held": held, "touch": touch}))
"""


def _load_probe(mode: str, path: Path, repeats: int) -> dict[str, float]:
    runs = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", _LOAD_PROBE, mode, str(path)], capture_output=True, text=True, check=True
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def main() -> None:  # noqa: PLR0915 - one linear script, best read top to bottom
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=int, default=1024, help="total fp32 weights (MB), default 1024")
    parser.add_argument("--tensor-mb", type=int, default=16, help="size of each tensor (MB)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workdir", default=None, help="where to write the files (default: a temp dir)")
    args = parser.parse_args()

    import torch
    import yaml

    import nemo_archive

    work = Path(args.workdir or tempfile.mkdtemp(prefix="nemo_archive_bench_"))
    work.mkdir(parents=True, exist_ok=True)
    per = args.tensor_mb * 1024 * 1024 // 4
    count = max(1, args.size_mb // args.tensor_mb)
    sd = {f"layers.{i}.weight": torch.randn(per) for i in range(count)}
    nbytes = count * per * 4
    cfg = {"target": "bench.Model", "layers": count, "hidden": per, "optim": {"lr": 1e-3, "name": "adamw"}}
    print(f"state dict: {count} fp32 tensors, {nbytes / 1e6:,.0f} MB; files in {work}")
    print(f"device: {os.cpu_count()} CPUs, python {sys.version.split()[0]}, torch {torch.__version__}\n")

    # ---- write
    plain = work / "plain.ckpt"
    archive_path = work / "model.nemo"

    def torch_save() -> None:
        torch.save(sd, plain)

    def torch_save_fsync() -> None:
        torch.save(sd, plain)
        fd = os.open(plain, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)

    from nemo_archive import _fs
    from nemo_archive import writer as archive_writer

    class NoWriteback(_fs.Writeback):
        """Never asks for early writeback: the durable save as it was before (the final fsync does it all)."""

        def wrote(self, n: int) -> None:
            pass

    def ours_without_early_writeback() -> None:
        archive_writer.Writeback = NoWriteback  # type: ignore[misc]
        try:
            nemo_archive.save(archive_path, cfg, sd)
        finally:
            archive_writer.Writeback = _fs.Writeback  # type: ignore[misc]

    times, every = _interleaved_min(
        [
            torch_save,
            lambda: nemo_archive.save(archive_path, cfg, sd, durable=False),
            torch_save_fsync,
            lambda: nemo_archive.save(archive_path, cfg, sd),
            lambda: nemo_archive.save(archive_path, cfg, sd, zip_crc32=False),
            ours_without_early_writeback,
        ],
        [plain, archive_path, plain, archive_path, archive_path, archive_path],
        args.repeats,
    )
    t_save, t_ours_nosync, t_save_sync, t_ours, t_nocrc, _ = times[:6]
    c_save, c_ours_nosync, c_save_sync, c_ours, c_nocrc, c_late = times[6:]
    print("write (best of --repeats, run in turns)")
    _line("  save (manifest SHA-256, no fsync)", t_ours_nosync, t_save, base_label="torch.save to a file")
    _line("  save (manifest SHA-256, fsync + rename)", t_ours, t_save_sync, base_label="torch.save + fsync")
    _line("  save, fsync + rename, zip_crc32=False", t_nocrc, t_save_sync, base_label="torch.save + fsync")
    # the disk's pace swings between repeats here, so the best-of figures of two writes can come from
    # different spells; pairs taken one right after the other compare like with like
    paired = statistics.median(a / b for a, b in zip(every[3], every[5], strict=True))
    print(
        f"  save, fsync + rename: with early writeback ÷ without it, median of {args.repeats} back-to-back pairs:"
        f" {paired:.2f}x (medians {statistics.median(every[3]) * 1e3:.0f} ms /"
        f" {statistics.median(every[5]) * 1e3:.0f} ms)"
    )
    _line("  CPU time of save, no fsync", c_ours_nosync, c_save, base_label="torch.save, user + sys")
    _line("  CPU time of save, fsync + rename", c_ours, c_save_sync, base_label="torch.save + fsync")
    _line("  CPU time of save, fsync, zip_crc32=False", c_nocrc, c_save_sync, base_label="torch.save + fsync")
    _line(
        "  CPU time of save, fsync, no early writeback", c_late, c_save_sync, base_label="torch.save + fsync"
    )
    leftovers = [p.name for p in work.iterdir() if p.name not in ("plain.ckpt", "model.nemo")]
    print(f"  files besides the destination left in its directory: {leftovers or 'none'}")

    # ---- config
    with nemo_archive.Archive(archive_path) as archive:
        (work / "model_config.yaml").write_text(archive.config_text)

    def ours_config() -> None:
        with nemo_archive.Archive(archive_path) as a:
            a.config  # noqa: B018

    def yaml_config() -> None:
        with open(work / "model_config.yaml") as f:
            yaml.safe_load(f)

    reps = max(args.repeats, 50)
    print("\nconfig")
    _line(
        "  Archive(path).config, in process",
        _median_time(ours_config, reps),
        _median_time(yaml_config, reps),
        base_label="yaml.safe_load of a plain file",
    )
    t_pass = _fresh("pass", 15)
    t_import = _fresh("import nemo_archive", 15)
    _line("  import nemo_archive (fresh interpreter)", t_import, t_pass, base_label="python -c pass")
    print(f"  import nemo_archive alone: {max(t_import - t_pass, 0) * 1e3:.1f} ms")
    probe = (
        "import sys, nemo_archive; a = nemo_archive.Archive(sys.argv[1]); a.config; "
        "print('torch' in sys.modules)"
    )
    torch_seen = subprocess.run(
        [sys.executable, "-c", probe, str(archive_path)], capture_output=True, text=True, check=True
    ).stdout.strip()
    print(f"  torch imported by import + config read: {torch_seen}")
    script = shutil.which("nemo-archive") or str(Path(sys.executable).parent / "nemo-archive")
    # Without an installed console script (a source checkout on PYTHONPATH), run the module the script runs.
    command = [script] if Path(script).exists() else [sys.executable, "-m", "nemo_archive.cli"]

    def cli() -> None:
        subprocess.run([*command, "config", str(archive_path)], check=True, stdout=subprocess.DEVNULL)

    _line(
        "  nemo-archive config FILE (fresh process)",
        _median_time(cli, 15),
        t_pass,
        base_label="python -c pass",
    )

    # ---- verify of a NeMo-written archive (no manifest: the CRC-32 of every weights record is checked)
    torch.save(sd, plain)
    nemo_style = work / "nemo_style.nemo"
    _write_nemo_style(nemo_style, plain, yaml.safe_dump(cfg).encode())
    print("\nverify (files in the page cache)")
    _line(
        "  Archive(path).verify(), CRC-32 path",
        _median_time(lambda: _verify(nemo_style), args.repeats),
        _median_time(lambda: _raw_read(nemo_style), args.repeats),
        base_label="sequential read of the file, 16 MiB chunks",
    )
    with nemo_archive.Archive(nemo_style) as archive:
        checks = {c.name: c.ok for c in archive.verify().checks}
    print(f"  checks: {checks}")
    nemo_style.unlink()

    # ---- load
    for p in (plain, archive_path):  # both files in the page cache, as after a save
        with open(p, "rb") as f:
            while f.read(64 << 20):
                pass
    base = _load_probe("torch", plain, args.repeats)
    ours = _load_probe("ours", archive_path, args.repeats)
    print("\nload (fresh process each, files in the page cache)")
    _line(
        "  load_state_dict (mmap in place)",
        ours["load"],
        base["load"],
        base_label="torch.load(mmap=True, weights_only=True)",
    )
    _line(
        "  first full read of every tensor", ours["touch"], base["touch"], base_label="same, torch.load mmap"
    )
    print(f"  bytes written during load: ours {ours['written']:.0f}, baseline {base['written']:.0f}")
    print(
        f"  peak RSS growth during load: ours {ours['peak_extra'] / 1e6:.1f} MB "
        f"({ours['peak_extra'] / nbytes:.1%} of weights), baseline {base['peak_extra'] / 1e6:.1f} MB"
    )
    print(
        f"  anonymous memory held by the loaded state dict: ours {ours['held'] / 1e6:.1f} MB "
        f"({ours['held'] / nbytes:.1%} of weights), baseline {base['held'] / 1e6:.1f} MB"
    )
    if not args.workdir:
        shutil.rmtree(work)


def _write_nemo_style(path: Path, weights: Path, config: bytes) -> None:
    """A .nemo laid out as nemo_toolkit writes it: `.`, config, weights; no manifest."""
    import io
    import tarfile

    with tarfile.open(path, "w:") as tar:
        tar.add(weights.parent, arcname=".", recursive=False)
        info = tarfile.TarInfo("./model_config.yaml")
        info.size = len(config)
        tar.addfile(info, io.BytesIO(config))
        tar.add(weights, arcname="./model_weights.ckpt")


def _verify(path: Path) -> None:
    import nemo_archive

    with nemo_archive.Archive(path) as archive:
        assert archive.verify().ok


def _raw_read(path: Path) -> None:
    buf = bytearray(16 << 20)
    with open(path, "rb", buffering=0) as f:
        while f.readinto(buf):
            pass


if __name__ == "__main__":
    main()
