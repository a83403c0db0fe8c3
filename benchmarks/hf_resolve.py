"""Benchmark: hf-io's import cost and ``resolve_pretrained`` on an unpacked model, cold and cached.

Against a loopback Hub (nemo_testing) holding an unpacked model of ``--files`` files of ``--mb`` MiB each, prints
the median seconds of:

- ``import hf_io`` vs ``import huggingface_hub`` (fresh interpreters);
- the first ``resolve_pretrained`` (download into the Hub cache);
- a repeated ``resolve_pretrained`` (cached: one metadata request, no download);
- the baseline: NeMo's directory-repo path, which deletes its cache folder and calls ``snapshot_download`` into
  a fresh ``local_dir`` on every call.

    uv run python benchmarks/hf_resolve.py [--files 4] [--mb 16] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _import_ms(module: str, runs: int) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print((time.perf_counter() - t) * 1e3)"
    samples = []
    for i in range(runs + 1):
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
        if i:
            samples.append(float(out.stdout))
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=4, help="weight files in the unpacked model")
    parser.add_argument("--mb", type=float, default=16.0, help="MiB per weight file")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    hf_ms, hub_ms = _import_ms("hf_io", args.repeats), _import_ms("huggingface_hub", args.repeats)
    print(f"import hf_io            {hf_ms:8.1f} ms")
    print(f"import huggingface_hub  {hub_ms:8.1f} ms   (hf_io costs {hf_ms / hub_ms:.2f}x of it)")

    from nemo_testing.hub_server import LoopbackHub

    hub = LoopbackHub().start()
    home = Path(tempfile.mkdtemp(prefix="hf-io-bench-"))
    os.environ.update(
        HF_ENDPOINT=hub.url,
        HF_HOME=str(home),
        HF_TOKEN=hub.token,
        HF_HUB_DISABLE_XET="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
    )
    try:
        size = int(args.mb * 1024 * 1024)
        files = {"model_config.yaml": b"hidden: 4\n"}
        files.update({f"{i:032x}_shard.bin": os.urandom(size) for i in range(args.files)})
        hub.seed("bench/unpacked", files)
        total_mb = args.files * args.mb

        from huggingface_hub import snapshot_download

        from hf_io import resolve_pretrained

        start = time.perf_counter()
        resolve_pretrained("bench/unpacked")
        cold = time.perf_counter() - start

        cached = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            resolve_pretrained("bench/unpacked")
            cached.append(time.perf_counter() - start)

        baseline = []
        nemo_cache = home / "nemo-style"
        for _ in range(args.repeats):
            start = time.perf_counter()
            shutil.rmtree(nemo_cache, ignore_errors=True)
            snapshot_download("bench/unpacked", local_dir=nemo_cache / "hash")
            baseline.append(time.perf_counter() - start)

        cached_s, baseline_s = statistics.median(cached), statistics.median(baseline)
        print(f"model: {args.files} files, {total_mb:.0f} MiB")
        print(f"first resolve (download)        {cold:8.3f} s")
        print(f"NeMo-style re-download per call {baseline_s:8.3f} s   (baseline)")
        print(f"cached resolve                  {cached_s:8.3f} s   ({baseline_s / cached_s:.0f}x faster)")
    finally:
        hub.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
