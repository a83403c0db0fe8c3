"""The ``nemo-archive`` command: inspect, verify, extract, pack and unpack .nemo files.

Exit codes (also in the README): 0 success; 1 verification failed; 2 bad usage; 3 file missing or not an
archive; 4 corrupt archive or size limit; 5 unsafe member or content; 6 missing member; 7 destination
unusable; 8 missing optional dependency. torch is never imported by ``info``, ``config``, ``ls``,
``verify``, ``extract``, ``pack`` or ``unpack``.
"""

from __future__ import annotations

import argparse
import sys

# ruff: noqa: PLC0415 - subcommands import what they need, so `nemo-archive config` stays fast

TYPE_CHECKING = False  # `typing` is slow to import; mypy treats this name as True
if TYPE_CHECKING:
    from typing import Any, TextIO


# Characters a terminal acts on instead of showing: C0 and C1 controls, DEL, and the bidirectional overrides
# that make text display in a different order than it reads ("Trojan source").
_UNSAFE = frozenset((*range(0x20), 0x7F, *range(0x80, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A)))


def escape(text: str, keep: str = "") -> str:
    r"""``text`` with every terminal control character written as an escape (``\x1b``, ``\n``, ``\u202e``).

    Member names, config values and error details come from the archive: printed raw, an escape sequence in
    a name could rewrite the terminal (hide lines, fake output) and a newline could fake a listing row.

    Args:
        text: What to print.
        keep: Control characters to leave as they are (``"\n\t"`` for multi-line text).
    """
    if text.isprintable():
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if code in _UNSAFE and ch not in keep:
            out.append(repr(ch)[1:-1] if code < 0x80 or code > 0x9F else f"\\x{code:02x}")
        else:
            out.append(ch)
    return "".join(out)


def _print(text: str = "", file: TextIO | None = None, keep: str = "") -> None:
    """Write one line of output (stdout by default), terminal controls escaped."""
    (file or sys.stdout).write(escape(text, keep) + "\n")


EXIT_OK = 0
EXIT_VERIFY_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_AN_ARCHIVE = 3
EXIT_CORRUPT = 4
EXIT_UNSAFE = 5
EXIT_MISSING_MEMBER = 6
EXIT_DESTINATION = 7
EXIT_DEPENDENCY = 8


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nemo-archive", description="Inspect, verify and convert .nemo files."
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("info", help="format, size, target class, members, tensors, parameters, manifest")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = sub.add_parser("config", help="print model_config.yaml")
    p.add_argument("file")
    p = sub.add_parser("ls", help="list members")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = sub.add_parser("extract", help="extract members (all by default) into a directory")
    p.add_argument("file")
    p.add_argument("dir")
    p.add_argument("members", nargs="*", metavar="MEMBER")
    p.add_argument("--overwrite", action="store_true", help="replace existing files")
    p = sub.add_parser("verify", help="check structure, hashes, config and weights; exit 1 on any failure")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = sub.add_parser("pack", help="pack an unpacked directory into a .nemo")
    p.add_argument("dir")
    p.add_argument("file")
    p = sub.add_parser("unpack", help="unpack a .nemo into a directory")
    p.add_argument("file")
    p.add_argument("dir")
    p.add_argument("--overwrite", action="store_true", help="replace existing files")
    return parser


def _exit_code(exc: BaseException) -> int:
    from . import errors

    table: list[tuple[type[BaseException], int]] = [
        (errors.MissingDependencyError, EXIT_DEPENDENCY),
        (errors.NotAnArchiveError, EXIT_NOT_AN_ARCHIVE),
        (errors.CorruptArchiveError, EXIT_CORRUPT),
        (errors.SizeLimitError, EXIT_CORRUPT),
        (errors.UnsafeMemberError, EXIT_UNSAFE),
        (errors.UnsafeContentError, EXIT_UNSAFE),
        (errors.MissingMemberError, EXIT_MISSING_MEMBER),
        (errors.DestinationError, EXIT_DESTINATION),
        (errors.IntegrityError, EXIT_VERIFY_FAILED),
        (OSError, EXIT_NOT_AN_ARCHIVE),
    ]
    return next((code for kind, code in table if isinstance(exc, kind)), EXIT_CORRUPT)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (the console script exits with it)."""
    args = _parser().parse_args(argv)
    if args.version:
        from . import __version__

        _print(f"nemo-archive {__version__}")
        return EXIT_OK
    if args.command is None:
        _parser().print_help(sys.stderr)
        return EXIT_USAGE
    from .errors import ArchiveError

    try:
        return int(_COMMANDS[args.command](args))
    except (ArchiveError, OSError) as exc:
        _print(f"nemo-archive {args.command}: error: {exc}", file=sys.stderr, keep="\n")
        return _exit_code(exc)


def _open(path: str) -> Any:
    from .archive import Archive

    return Archive(path)


def _cmd_config(args: argparse.Namespace) -> int:
    with _open(args.file) as archive:
        text = archive.config_text
    text = escape(text, keep="\t\n\r")
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return EXIT_OK


def _cmd_ls(args: argparse.Namespace) -> int:
    with _open(args.file) as archive:
        manifest = archive.manifest
        rows = []
        for m in archive.members:
            entry = manifest.entry(m.name) if manifest else None
            rows.append({"name": m.name, "size": m.size, "sha256": entry.sha256 if entry else None})
    if args.json:
        import json

        _print(json.dumps(rows, indent=1), keep="\n")
    else:
        for row in rows:
            _print(f"{row['size']:>14,}  {row['name']}")
    return EXIT_OK


def _cmd_info(args: argparse.Namespace) -> int:
    import os

    from .errors import ArchiveError
    from .tensors import parameter_count

    with _open(args.file) as archive:
        info: dict[str, Any] = {
            "path": str(archive.path),
            "format": archive.kind,
            "size": os.path.getsize(archive.path)
            if archive.kind != "directory"
            else sum(m.size for m in archive.members),
            "target": archive.target,
            "members": len(archive.names),
            "artifacts": archive.artifacts,
        }
        try:
            tensors = archive.tensor_info()
            info["weights_format"] = archive.weights_format
            info["tensors"] = len(tensors)
            info["parameters"] = parameter_count(tensors)
            info["dtypes"] = sorted({t.dtype for t in tensors.values()})
        except ArchiveError as exc:
            info["weights_error"] = str(exc)
        manifest = archive.manifest
        info["manifest"] = (
            None
            if manifest is None
            else {
                "format_version": manifest.format_version,
                "writer": manifest.writer,
                "created": manifest.created,
                "provenance": manifest.provenance,
            }
        )
    if args.json:
        import json

        _print(json.dumps(info, indent=1), keep="\n")
        return EXIT_OK
    for key in ("path", "format", "size", "target", "members", "weights_format", "tensors", "parameters"):
        if key in info:
            value = info[key]
            _print(f"{key:>15}: {value:,}" if isinstance(value, int) else f"{key:>15}: {value}")
    if "dtypes" in info:
        _print(f"{'dtypes':>15}: {', '.join(info['dtypes'])}")
    if "weights_error" in info:
        _print(f"{'weights':>15}: unreadable: {info['weights_error']}")
    _print(f"{'artifacts':>15}: {', '.join(info['artifacts']) or '-'}")
    if manifest is None:
        _print(f"{'manifest':>15}: none")
    else:
        _print(
            f"{'manifest':>15}: format {manifest.format_version}, {manifest.writer.get('name')} "
            f"{manifest.writer.get('version')}, {manifest.created}"
        )
        for key, value in manifest.provenance.items():
            _print(f"{key:>15}: {value}")
    return EXIT_OK


def _cmd_verify(args: argparse.Namespace) -> int:
    from ._progress import ProgressBar

    with _open(args.file) as archive:
        total = sum(m.size for m in archive.members)
        bar = ProgressBar(total, "verify")
        report = archive.verify(progress=bar)
        bar.close()
    if args.json:
        import json

        _print(json.dumps(report.to_json(), indent=1), keep="\n")
    else:
        for check in report.checks:
            _print(f"{'ok  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
        _print("archive is valid" if report.ok else "archive is NOT valid")
    return EXIT_OK if report.ok else EXIT_VERIFY_FAILED


def _cmd_extract(args: argparse.Namespace) -> int:
    from ._progress import ProgressBar

    with _open(args.file) as archive:
        names = args.members or archive.names
        bar = ProgressBar(sum(archive.member(n).size for n in names), "extract")
        written = archive.extract(args.dir, args.members or None, overwrite=args.overwrite, progress=bar)
        bar.close()
    for path in written:
        _print(str(path))
    return EXIT_OK


def _cmd_unpack(args: argparse.Namespace) -> int:
    return _cmd_extract(
        argparse.Namespace(file=args.file, dir=args.dir, members=[], overwrite=args.overwrite)
    )


def _cmd_pack(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ._progress import ProgressBar
    from .writer import pack

    total = sum(p.stat().st_size for p in Path(args.dir).rglob("*") if p.is_file())
    bar = ProgressBar(total, "pack")
    path = pack(args.dir, args.file, progress=bar)
    bar.close()
    _print(str(path))
    return EXIT_OK


_COMMANDS = {
    "info": _cmd_info,
    "config": _cmd_config,
    "ls": _cmd_ls,
    "extract": _cmd_extract,
    "verify": _cmd_verify,
    "pack": _cmd_pack,
    "unpack": _cmd_unpack,
}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
