"""Odd containers: a file that is also a folder, special files as the path, header floods, names that
rewrite terminals, and names `pack` could write but its reader would refuse. All generated here."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

import nemo_archive
from archive_builders import CONFIG_YAML, add_bytes, make_tar
from nemo_archive import errors
from nemo_archive.cli import escape, main

CFG = ("./model_config.yaml", CONFIG_YAML)


# ----------------------------------------------------------------------------------------------- x and x/y
@pytest.mark.parametrize(
    "names", [["./tok", "./tok/vocab.txt"], ["./tok/vocab.txt", "./tok"], ["./a/b/c", "./a/b"]]
)
def test_a_file_that_is_also_a_folder_is_refused(tmp_path: Path, names: list[str]) -> None:
    path = make_tar(tmp_path / "clash.nemo", [CFG, *((n, b"data") for n in names)])
    with pytest.raises(errors.UnsafeMemberError, match="needs it to be a folder") as info:
        nemo_archive.Archive(path)
    assert info.value.path == str(path)
    assert not (tmp_path / "out").exists()


def test_a_directory_entry_under_a_file_is_refused(tmp_path: Path) -> None:
    folder = tarfile.TarInfo("./tok/sub")
    folder.type = tarfile.DIRTYPE
    path = make_tar(tmp_path / "clash.nemo", [CFG, ("./tok", b"file")], [folder])
    with pytest.raises(errors.UnsafeMemberError, match="needs it to be a folder"):
        nemo_archive.Archive(path)


def test_directory_entries_above_files_are_fine(tmp_path: Path) -> None:
    folder = tarfile.TarInfo("./tok")
    folder.type = tarfile.DIRTYPE
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:") as tar:
        add_bytes(tar, *CFG)
        tar.addfile(folder)
        add_bytes(tar, "./tok/vocab.txt", b"a")
    (tmp_path / "ok.nemo").write_bytes(raw.getvalue())
    with nemo_archive.Archive(tmp_path / "ok.nemo") as archive:
        assert archive.names == ["model_config.yaml", "tok/vocab.txt"]


# ----------------------------------------------------------------------------------------------- special files
@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_as_the_path_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "model.nemo"
    os.mkfifo(fifo)
    code = (
        "import sys, nemo_archive\n"
        "from nemo_archive import errors\n"
        "try:\n"
        "    nemo_archive.Archive(sys.argv[1])\n"
        "except errors.NotAnArchiveError as exc:\n"
        "    assert 'FIFO' in str(exc), exc\n"
        "    print('refused')\n"
    )
    # Opening a FIFO for reading waits for a writer: run in a child, so a hang fails instead of blocking.
    child = subprocess.run(
        [sys.executable, "-c", code, str(fifo)], capture_output=True, text=True, timeout=60, check=False
    )
    assert child.returncode == 0, child.stderr[-2000:]
    assert child.stdout.strip() == "refused"
    cli = subprocess.run(
        [sys.executable, "-m", "nemo_archive.cli", "verify", str(fifo)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert cli.returncode == 3, cli.stderr[-2000:]


def test_a_device_as_the_path_is_refused() -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("needs /dev/zero")
    with pytest.raises(errors.NotAnArchiveError, match="device"):
        nemo_archive.Archive("/dev/zero")


# ----------------------------------------------------------------------------------------------- floods
def _flood(path: Path, count: int, compress: bool) -> Path:
    """A tar of the config and then ``count`` empty files: 512 bytes of header each, no data."""
    block = bytearray(tarfile.TarInfo("./e000000").tobuf(tarfile.USTAR_FORMAT))
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:", format=tarfile.USTAR_FORMAT) as tar:
        add_bytes(tar, *CFG)
    head = raw.getvalue()[:1024]  # config header + its data block
    chunks = [head]
    for i in range(count):
        block[:8] = f"./e{i:05x}".encode()[:8].ljust(8, b"0")
        block[148:156] = b" " * 8
        block[148:155] = f"{sum(block):06o}\0".encode()
        chunks.append(bytes(block))
    data = b"".join(chunks) + bytes(10240)
    path.write_bytes(gzip.compress(data, 6) if compress else data)
    return path


@pytest.mark.parametrize("compress", [True, False])
def test_a_flood_of_empty_headers_hits_the_member_limit(tmp_path: Path, compress: bool) -> None:
    path = _flood(tmp_path / "flood.nemo", 12_000, compress)
    with pytest.raises(errors.SizeLimitError, match="more than 10000 members") as info:
        nemo_archive.Archive(path)
    assert "max_members" in str(info.value)
    assert main(["info", str(path)]) == 4


def test_the_member_limit_is_configurable(tmp_path: Path) -> None:
    path = _flood(tmp_path / "some.nemo", 30, compress=True)
    with pytest.raises(errors.SizeLimitError, match="more than 10 members"):
        nemo_archive.Archive(path, max_members=10)
    with nemo_archive.Archive(path, max_members=31) as archive:
        assert len(archive.names) == 31
    folder = tmp_path / "unpacked"
    folder.mkdir()
    (folder / "model_config.yaml").write_bytes(CONFIG_YAML)
    for i in range(5):
        (folder / f"f{i}").write_bytes(b"")
    with pytest.raises(errors.SizeLimitError, match="more than 3 members"):
        nemo_archive.Archive(folder, max_members=3)


# ----------------------------------------------------------------------------------------------- names on a terminal
EVIL = "tok\x1b[2J\x1b[1;1Hvocab\nfake row\u202etxt.exe\x07"


def test_escape_writes_controls_as_text() -> None:
    assert escape("plain ünïcode") == "plain ünïcode"
    out = escape(EVIL)
    assert out.isprintable()
    assert "\\x1b[2J" in out
    assert "\\n" in out
    assert "\\u202e" in out
    assert escape("a\nb", keep="\n") == "a\nb"


def _printable_lines(text: str) -> list[str]:
    lines = text.splitlines()
    assert all(line.isprintable() for line in lines), [line for line in lines if not line.isprintable()]
    return lines


def test_cli_output_escapes_member_names_and_config_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    artifact = "0123456789abcdef0123456789abcdef_" + EVIL
    config = b'target: "tests.Model\\e[31m"\nhidden: 4\n'
    path = make_tar(
        tmp_path / "names.nemo",
        [("./model_config.yaml", config), (f"./{artifact}", b"x"), (f"./{EVIL}", b"y")],
    )
    assert main(["ls", str(path)]) == 0
    lines = _printable_lines(capsys.readouterr().out)
    assert len(lines) == 3  # the newline in a name cannot fake an extra row
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    _printable_lines(out)
    assert "\\x1b[31m" in out
    main(["verify", str(path)])
    _printable_lines(capsys.readouterr().out)
    assert main(["extract", str(path), str(tmp_path / "out")]) == 0
    _printable_lines(capsys.readouterr().out)


def test_cli_errors_escape_what_the_archive_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = make_tar(tmp_path / "bad.nemo", [CFG, (f"./{EVIL}/../../x", b"y")])
    assert main(["ls", str(path)]) == 5
    assert "\x1b" not in capsys.readouterr().err


def test_cli_config_escapes_terminal_controls_but_keeps_layout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = make_tar(tmp_path / "c.nemo", [("./model_config.yaml", b"a: 1\n\tb: \x1b[2J\n")])
    assert main(["config", str(path)]) == 0
    out = capsys.readouterr().out
    assert out == "a: 1\n\tb: \\x1b[2J\n"


# ----------------------------------------------------------------------------------------------- pack
@pytest.mark.parametrize("name", ["back\\slash.txt", "c:drive.txt"])
def test_pack_refuses_names_its_reader_refuses(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "unpacked"
    folder.mkdir()
    (folder / "model_config.yaml").write_bytes(CONFIG_YAML)
    (folder / name).write_bytes(b"x")
    dest = tmp_path / "packed.nemo"
    with pytest.raises(errors.UnsafeMemberError):
        nemo_archive.pack(folder, dest)
    assert not dest.exists()


@pytest.mark.parametrize("name", ["back\\slash.txt", "bad\udcffutf8.txt"])
def test_writer_refuses_artifact_names_the_reader_refuses(tmp_path: Path, name: str) -> None:
    writer = nemo_archive.ArchiveWriter(tmp_path / "w.nemo")
    writer.set_config("target: tests.Model\n")
    with pytest.raises(ValueError, match="invalid"):
        writer.add_artifact(b"x", name=name)


def test_everything_pack_writes_its_reader_opens(tmp_path: Path) -> None:
    folder = tmp_path / "unpacked"
    (folder / "sub" / "deeper").mkdir(parents=True)
    (folder / "model_config.yaml").write_bytes(CONFIG_YAML)
    for name in ["sub/deeper/a b.txt", "sub/x\x1bname", "ünï.txt", "0123456789abcdef0123456789abcdef_v.txt"]:
        (folder / name).write_bytes(name.encode("utf-8", "surrogateescape"))
    packed = nemo_archive.pack(folder, tmp_path / "p.nemo")
    with nemo_archive.Archive(packed) as archive:
        assert sorted(archive.names) == sorted(
            [
                "model_config.yaml",
                "manifest.json",
                "sub/deeper/a b.txt",
                "sub/x\x1bname",
                "ünï.txt",
                "0123456789abcdef0123456789abcdef_v.txt",
            ]
        )
        assert archive.verify().ok is False  # no weights; every other check passes
        assert [c.name for c in archive.verify().checks if not c.ok] == ["weights"]
