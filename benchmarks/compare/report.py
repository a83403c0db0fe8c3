"""The benchmark's Markdown table, goal verdicts and save/restore chart, from ``run.py``'s results.

Re-render from saved samples: ``python benchmarks/compare/report.py benchmarks/results/bench.json`` (needs matplotlib).
"""

# The table is for people: ratios read "5.0×" and ranges "1.2–1.4", so × and – are meant.
# ruff: noqa: RUF001, RUF002, RUF003

from __future__ import annotations

import os
import statistics
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

TOOLKIT_CORE = "nemo.core"
GIB = 2**30


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temp file in the same folder, fsync and rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def med(values: Sequence[float]) -> float:
    """The median."""
    return statistics.median(values)


def spread(values: Sequence[float], scale: float = 1.0, digits: int = 2) -> str:
    """``median (min–max)`` of ``values`` times ``scale``."""
    v = [x * scale for x in values]
    return f"{med(v):.{digits}f} ({min(v):.{digits}f}–{max(v):.{digits}f})"


def col(samples: list[dict[str, float]], key: str) -> list[float]:
    """One field of every sample."""
    return [s[key] for s in samples]


def plus(samples: list[dict[str, float]], *keys: str) -> list[float]:
    """The sum of several fields, per sample."""
    return [sum(s[k] for k in keys) for s in samples]


PAIRED_SAVE = "torch.save + fsync (paired)"
PAIRED_SAVE_ROW = "`save_to` vs `torch.save` + fsync, back to back in one process"


def durable_save_ratio(ours: dict[str, Any]) -> float | None:
    """Median over runs of durable ``save_to`` ÷ ``torch.save`` + fsync timed back to back with it.

    None when the run has no such pairs (results written before the io workload took them).
    """
    if PAIRED_SAVE not in ours:
        return None
    pairs = zip(col(ours["save_to"], "seconds"), col(ours[PAIRED_SAVE], "seconds"), strict=True)
    return med([s / t for s, t in pairs])


def mib(n: float) -> str:
    """Bytes as MiB."""
    return f"{n / 2**20:.0f} MiB" if n >= 2**20 or n == 0 else f"{n / 2**10:.0f} KiB"


def _verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def _imports(results: dict[str, Any], lines: list[str]) -> None:
    imports = results["imports"]
    core = med(imports["nemo_toolkit"][TOOLKIT_CORE])
    lines += [
        "### Import time (fresh interpreter, bytecode cached; ms)",
        "",
        f"| import | implementation | median (min–max) | nemo_toolkit `import {TOOLKIT_CORE}` ÷ this |",
        "|---|---|---|---|",
    ]
    for impl, label in (("ours", "nemo-core"), ("nemo_toolkit", "nemo_toolkit 3.0.0"), ("limit", "baseline")):
        for module, samples in imports[impl].items():
            lines.append(
                f"| `import {module}` | {label} | {spread(samples, digits=1)} | {core / med(samples):.1f}× |"
            )
    lines.append("")


def _io(results: dict[str, Any], lines: list[str]) -> None:
    lines += [
        "### `.nemo` save and restore (seconds; warm page cache, nothing left to write back at the start of each figure)",
        "",
        "Limit: `torch.save` of the same state dict to a plain file; for restore, building the same layers + "
        "`torch.load(mmap=True)` + `load_state_dict`; and a raw sequential read of the plain file. "
        '"+ touch" adds reading every weight once after the call (memory-mapped weights are paged in then).',
        "",
        "| size | figure | nemo-core | nemo_toolkit 3.0.0 | toolkit ÷ ours | limit | ours ÷ limit |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, by_impl in results["io"].items():
        ours, tk, lim = by_impl["ours"], by_impl["nemo_toolkit"], by_impl["limit"]
        runs = len(ours["save_to"])
        size = f"{label} ({mib(ours['weights_bytes'])}, {runs} runs)"
        rows = [
            (
                "`save_to`",
                col(ours["save_to"], "seconds"),
                col(tk["save_to"], "seconds"),
                col(lim["torch.save"], "seconds"),
                "`torch.save`",
            ),
            (
                "`save_to` vs `torch.save` + fsync",
                col(ours["save_to"], "seconds"),
                col(tk["save_to"], "seconds"),
                plus(lim["torch.save"], "seconds", "fsync_seconds"),
                "`torch.save` + fsync",
            ),
            (
                "`save_to` with nemo-core's `durable=False` (no fsync, as nemo_toolkit)",
                col(ours.get("save_to (no fsync)", ours["save_to"]), "seconds"),
                col(tk["save_to"], "seconds"),
                col(lim["torch.save"], "seconds"),
                "`torch.save`",
            ),
            (
                "config read (`restore_from(return_config=True)`)",
                col(ours["config"], "seconds"),
                col(tk["config"], "seconds"),
                None,
                "—",
            ),
            (
                "`restore_from`",
                col(ours["restore_from"], "seconds"),
                col(tk["restore_from"], "seconds"),
                col(lim["build + load_state_dict"], "seconds"),
                "build + `torch.load(mmap)` + `load_state_dict`",
            ),
            (
                "`restore_from` + touch",
                plus(ours["restore_from"], "seconds", "touch_seconds"),
                plus(tk["restore_from"], "seconds", "touch_seconds"),
                plus(lim["build + load_state_dict"], "seconds", "touch_seconds"),
                "same + touch",
            ),
            (
                "`restore_from` + touch vs raw read",
                plus(ours["restore_from"], "seconds", "touch_seconds"),
                plus(tk["restore_from"], "seconds", "touch_seconds"),
                col(lim["raw read"], "seconds"),
                "raw sequential read",
            ),
        ]
        paired = durable_save_ratio(ours)
        if paired is not None:
            rows.insert(
                2,
                (
                    PAIRED_SAVE_ROW,
                    col(ours["save_to"], "seconds"),
                    col(tk["save_to"], "seconds"),
                    col(ours[PAIRED_SAVE], "seconds"),
                    "`torch.save` + fsync (ratio: median of paired ratios)",
                ),
            )
        for name, o, t, limit, what in rows:
            digits = 4 if name.startswith("config") else 3
            lim_text = f"{spread(limit, digits=3)} {what}" if limit else what
            ratio = f"{med(o) / med(limit):.2f}×" if limit else "—"
            if name == PAIRED_SAVE_ROW:
                ratio = f"{paired:.2f}×"
            lines.append(
                f"| {size} | {name} | {spread(o, digits=digits)} | {spread(t, digits=digits)} | "
                f"{med(t) / med(o):.2f}× | {lim_text} | {ratio} |"
            )
    lines += [
        "",
        "Peak resident memory added during the call (MiB, median) and the most temporary disk used "
        "(bytes under a fresh TMPDIR plus anything beyond the result written next to the file):",
        "",
        "| size | call | peak RSS added: nemo-core / nemo_toolkit / limit | temp disk: nemo-core / nemo_toolkit |",
        "|---|---|---|---|",
    ]
    for label, by_impl in results["io"].items():
        ours, tk, lim = by_impl["ours"], by_impl["nemo_toolkit"], by_impl["limit"]
        for call, limit_key in (("save_to", "torch.save"), ("restore_from", "build + load_state_dict")):
            rss = [med(col(x, "peak_rss_added_bytes")) for x in (ours[call], tk[call], lim[limit_key])]
            temp = [max(col(x, "temp_bytes")) for x in (ours[call], tk[call])]
            lines.append(
                f"| {label} | `{call}` | {' / '.join(mib(r) for r in rss)} | {' / '.join(mib(t) for t in temp)} |"
            )
    lines.append("")


def _best_overheads(tc: dict[str, Any], impl: str) -> list[float] | None:
    """Each process's overhead from its fastest repeats; None for results written before it was recorded."""
    best = tc[impl].get("best_overhead_us")
    return list(best) if best else None


def typecheck_ratio(tc: dict[str, Any]) -> tuple[float | None, float, float]:
    """(toolkit ÷ ours on the per-process figures, the same on all paired samples, our headline µs).

    The first is None for older results without per-process figures; the headline µs is then all-samples.
    """
    all_ratio = med(tc["nemo_toolkit"]["overhead_us"]) / med(tc["ours"]["overhead_us"])
    ours, toolkit = _best_overheads(tc, "ours"), _best_overheads(tc, "nemo_toolkit")
    if ours is None or toolkit is None:
        return None, all_ratio, med(tc["ours"]["overhead_us"])
    return med(toolkit) / med(ours), all_ratio, med(ours)


def _typecheck(results: dict[str, Any], lines: list[str]) -> None:
    tc = results["typecheck"]
    calls = tc["ours"]["calls"]
    processes = len(_best_overheads(tc, "ours") or [])
    lines += [
        f"### `@typecheck()` per call (µs; torch tensors, one typed input and output; "
        f"{len(tc['ours']['overhead_us'])} repeats of {calls} calls"
        + (f" in {processes} processes per implementation" if processes else "")
        + ", in processes alternating between the implementations)",
        "",
        "Overhead is the decorated call minus the undecorated one. Each process times both in turns; its figure "
        "is the fastest decorated repeat minus the fastest undecorated one (timeit's estimator: interference "
        "on a shared machine only adds time), and the table gives the median over processes. The median of "
        "every paired difference, which keeps the interference in, is shown beside it.",
        "",
        "| implementation | undecorated | with `@typecheck()` | overhead (per process, fastest repeats) | "
        "overhead (all paired differences) |",
        "|---|---|---|---|---|",
    ]
    for impl, label in (("ours", "nemo-core"), ("nemo_toolkit", "nemo_toolkit 3.0.0")):
        r = tc[impl]
        lines.append(
            f"| {label} | {spread(r['us_per_call']['undecorated'])} | {spread(r['us_per_call']['typecheck'])} | "
            f"{spread(_best_overheads(tc, impl) or [float('nan')])} | {spread(r['overhead_us'])} |"
        )
    best_ratio, all_ratio, _ = typecheck_ratio(tc)
    headline = (
        f"{all_ratio:.2f}×"
        if best_ratio is None
        else (f"{best_ratio:.2f}× (all paired differences: {all_ratio:.2f}×)")
    )
    lines += ["", f"nemo_toolkit's overhead ÷ nemo-core's: {headline}", ""]


def _train(results: dict[str, Any], lines: list[str]) -> None:
    tr = results["train"]
    first = tr["ours"]
    lines += [
        f"### Training steps/s (CPU, MLP {first['hidden']}-{first['hidden']}-10, batch {first['batch']}, "
        f"{first['steps']} steps, the first fifth not timed; steps/s = 1 / median step time; same `Trainer` "
        "settings)",
        "",
        "The runs alternate between the two models (plain first in even rounds); the ratio is the median of "
        "each round's ModelPT ÷ plain, so a slow spell of the machine cancels within its round.",
        "",
        "| model | venv | steps/s median (min–max) | ÷ plain `LightningModule` in the same venv: median of paired "
        "ratios (ratio of medians) |",
        "|---|---|---|---|",
    ]
    for impl, label in (("ours", "nemo-core"), ("nemo_toolkit", "nemo_toolkit 3.0.0")):
        rates = tr[impl]["steps_per_s"]
        lines.append(
            f"| `ModelPT` + `@typecheck()` | {label} | {spread(rates['modelpt'], digits=1)} | "
            f"{paired_ratio(rates):.3f}× ({med(rates['modelpt']) / med(rates['plain']):.3f}×) |"
        )
        lines.append(f"| plain `LightningModule` | {label} | {spread(rates['plain'], digits=1)} | 1.000× |")
    lines.append("")


def paired_ratio(rates: dict[str, list[float]]) -> float:
    """Median over rounds of ModelPT steps/s ÷ plain steps/s, each pair measured back to back."""
    return med([m / p for m, p in zip(rates["modelpt"], rates["plain"], strict=True)])


def _largest(results: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    label = max(results["io"], key=lambda k: results["io"][k]["ours"]["weights_bytes"])
    return label, results["io"][label]


def goals(results: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(goal, measured, met) for every goal of the issue whose figures this run has."""
    out: list[tuple[str, str, bool]] = []
    if "imports" in results:
        core = med(results["imports"]["nemo_toolkit"][TOOLKIT_CORE])
        for module in ("neural_types", "nemo_archive"):
            ratio = core / med(results["imports"]["ours"][module])
            out.append(
                (
                    f"`import {module}` ≥ 100× faster than nemo_toolkit's `import nemo.core`",
                    f"{ratio:.0f}×",
                    ratio >= 100,
                )
            )
        nt = med(results["imports"]["ours"]["neural_types"])
        out.append(("limit: `import neural_types` < 30 ms", f"{nt:.1f} ms", nt < 30))
    if "io" in results:
        label, big = _largest(results)
        ours, tk, lim = big["ours"], big["nemo_toolkit"], big["limit"]
        restore = med(col(tk["restore_from"], "seconds")) / med(col(ours["restore_from"], "seconds"))
        touched = med(plus(tk["restore_from"], "seconds", "touch_seconds")) / med(
            plus(ours["restore_from"], "seconds", "touch_seconds")
        )
        temp = max(col(ours["restore_from"], "temp_bytes"))
        out.append(
            (
                f"`restore_from` {label} ≥ 5× faster, no temp disk",
                f"{restore:.2f}× ({touched:.2f}× including the first touch of every weight); temp {temp} bytes",
                restore >= 5 and temp == 0,
            )
        )
        save = med(col(tk["save_to"], "seconds")) / med(col(ours["save_to"], "seconds"))
        fast = med(col(tk["save_to"], "seconds")) / med(
            col(ours.get("save_to (no fsync)", ours["save_to"]), "seconds")
        )
        out.append(
            (
                f"`save_to` {label} ≥ 2× faster",
                f"{save:.2f}× (nemo-core fsyncs, nemo_toolkit does not; {fast:.2f}× with `durable=False`)",
                save >= 2,
            )
        )
        # like for like: nemo-core's default save makes the bytes durable, so it is set against torch.save +
        # fsync; the writes without fsync on either side are judged on their own row
        # fsync waits on a shared disk whose speed swings for seconds at a time; the pairs timed back to back
        # in one process see the same disk, so their median ratio is the verdict when the run has them
        apart = med(col(ours["save_to"], "seconds")) / med(
            plus(lim["torch.save"], "seconds", "fsync_seconds")
        )
        paired = durable_save_ratio(ours)
        durable = apart if paired is None else paired
        measured_text = (
            f"{apart:.2f}×"
            if paired is None
            else f"{paired:.2f}× (median of back-to-back pairs; {apart:.2f}× against the separate limit process)"
        )
        out.append(
            (
                f"limit: `save_to` {label} ≤ 1.3× `torch.save`, both durable (fsync)",
                measured_text,
                durable <= 1.3,
            )
        )
        if "save_to (no fsync)" in ours:
            bare = med(col(ours["save_to (no fsync)"], "seconds")) / med(col(lim["torch.save"], "seconds"))
            out.append(
                (
                    f"limit: `save_to` {label} ≤ 1.3× `torch.save`, neither fsyncs (`durable=False`)",
                    f"{bare:.2f}×",
                    bare <= 1.3,
                )
            )
        vs_load = med(col(ours["restore_from"], "seconds")) / med(
            col(lim["build + load_state_dict"], "seconds")
        )
        out.append(
            (
                f"limit: `restore_from` {label} ≤ 1.2× build + `torch.load(mmap)` + `load_state_dict`",
                f"{vs_load:.2f}×",
                vs_load <= 1.2,
            )
        )
        rss = med(col(ours["restore_from"], "peak_rss_added_bytes")) / ours["weights_bytes"]
        out.append(
            (f"limit: peak RSS added by `restore_from` {label} ≤ 1.2× weights", f"{rss:.2f}×", rss <= 1.2)
        )
        config = max(med(col(by["ours"]["config"], "seconds")) for by in results["io"].values()) * 1e3
        out.append(("limit: config read < 5 ms", f"{config:.1f} ms (slowest size)", config < 5))
    if "typecheck" in results:
        best_ratio, all_ratio, ours_oh = typecheck_ratio(results["typecheck"])
        if best_ratio is None:
            out.append(("`@typecheck()` overhead ≥ 7× lower", f"{all_ratio:.2f}×", all_ratio >= 7))
        else:
            measured = (
                f"{best_ratio:.2f}× (per process, fastest repeats; all paired differences: {all_ratio:.2f}×)"
            )
            out.append(("`@typecheck()` overhead ≥ 7× lower", measured, best_ratio >= 7))
        out.append(("limit: `@typecheck()` overhead ≤ 5 µs", f"{ours_oh:.2f} µs", ours_oh <= 5))
    if "train" in results:
        rates = results["train"]["ours"]["steps_per_s"]
        ratio = paired_ratio(rates)
        out.append(
            (
                "limit: `ModelPT` training ≥ 0.97× a plain `LightningModule`",
                f"{ratio:.3f}× (median of paired ratios; ratio of medians "
                f"{med(rates['modelpt']) / med(rates['plain']):.3f}×)",
                ratio >= 0.97,
            )
        )
    return out


def markdown(results: dict[str, Any]) -> str:
    """The whole report as Markdown."""
    m, v = results["machine"], results["versions"]
    lines = [
        "## nemo-core vs nemo_toolkit 3.0.0 vs the hardware limit",
        "",
        f"Machine: {m.get('cpus')} CPUs ({m.get('cpu', 'unknown CPU')}), {m.get('memory_gib')} GiB RAM, "
        f"{m.get('platform')}; load average at start {m.get('load_average_at_start')} (a shared machine). "
        f"Python {v['ours'].get('python')}; nemo-core venv: torch {v['ours'].get('torch')}, Lightning "
        f"{v['ours'].get('lightning')}; nemo_toolkit venv: nemo_toolkit {v['nemo_toolkit'].get('nemo_toolkit')}, "
        f"torch {v['nemo_toolkit'].get('torch')}, Lightning {v['nemo_toolkit'].get('lightning')}. "
        f"Every figure is the median of its runs with (min–max); each workload ran in a fresh process with one "
        f"torch intra-op thread (the same for both implementations and the limit). "
        f"Total {results.get('seconds_total', 0) / 60:.1f} min.",
        "",
    ]
    verdicts = goals(results)
    if verdicts:
        lines += ["### Goals", "", "| goal | measured | verdict |", "|---|---|---|"]
        lines += [f"| {g} | {measured} | {_verdict(ok)} |" for g, measured, ok in verdicts]
        lines.append("")
    for key, section in (("imports", _imports), ("io", _io), ("typecheck", _typecheck), ("train", _train)):
        if key in results:
            section(results, lines)
    return "\n".join(lines)


def chart(results: dict[str, Any], path: Path) -> None:
    """Save and restore time against weights size, for both implementations and the limits (log-log)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    io = results["io"]
    labels = sorted(io, key=lambda k: io[k]["ours"]["weights_bytes"])
    sizes = [io[k]["ours"]["weights_bytes"] / 2**20 for k in labels]
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    panels = [
        (
            "save",
            [
                ("nemo-core save_to", "ours", "save_to", ("seconds",)),
                ("nemo_toolkit save_to", "nemo_toolkit", "save_to", ("seconds",)),
                ("torch.save (plain file)", "limit", "torch.save", ("seconds",)),
            ],
        ),
        (
            "restore (call)",
            [
                ("nemo-core restore_from", "ours", "restore_from", ("seconds",)),
                ("nemo_toolkit restore_from", "nemo_toolkit", "restore_from", ("seconds",)),
                (
                    "build + torch.load(mmap) + load_state_dict",
                    "limit",
                    "build + load_state_dict",
                    ("seconds",),
                ),
            ],
        ),
        (
            "restore + first touch of every weight",
            [
                ("nemo-core", "ours", "restore_from", ("seconds", "touch_seconds")),
                ("nemo_toolkit", "nemo_toolkit", "restore_from", ("seconds", "touch_seconds")),
                (
                    "limit: build + load + touch",
                    "limit",
                    "build + load_state_dict",
                    ("seconds", "touch_seconds"),
                ),
                ("raw sequential read", "limit", "raw read", ("seconds",)),
            ],
        ),
    ]
    for ax, (title, series) in zip(axes, panels, strict=True):
        for name, impl, key, fields in series:
            values = [plus(io[k][impl][key], *fields) for k in labels]
            mids = [med(v) for v in values]
            low = [m - min(v) for m, v in zip(mids, values, strict=True)]
            high = [max(v) - m for m, v in zip(mids, values, strict=True)]
            ax.errorbar(sizes, mids, yerr=[low, high], marker="o", capsize=3, label=name)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("weights (MiB)")
        ax.set_ylabel("seconds (median, min–max)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"nemo-core vs nemo_toolkit 3.0.0 vs the limit ({results['machine'].get('cpus')} CPUs)")
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, path)


def main() -> None:
    """Re-render bench.md and bench.png from a bench.json (e.g. after changing the table's layout)."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("results", type=Path, help="a bench.json written by run.py")
    args = parser.parse_args()
    results = json.loads(args.results.read_text(encoding="utf-8"))
    write_atomic(args.results.with_name("bench.md"), markdown(results).encode())
    if "io" in results:
        chart(results, args.results.with_name("bench.png"))
    print(markdown(results))


if __name__ == "__main__":
    main()
