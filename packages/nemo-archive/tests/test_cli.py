"""The ``nemo-archive`` command, run as a real console script in subprocesses; torch must stay unimported."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from archive_builders import REF_ARTIFACT, build_hostile
from nemo_archive import cli


def _script() -> str:
    found = Path(sys.executable).parent / "nemo-archive"
    return str(found) if found.exists() else shutil.which("nemo-archive") or ""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed console script."""
    script = _script()
    assert script, "the nemo-archive console script is not installed"
    return subprocess.run([script, *args], capture_output=True, text=True, check=False)


def run_without_torch(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh interpreter and fail (exit 99) if it imported torch."""
    code = (
        "import sys\n"
        "from nemo_archive.cli import main\n"
        f"rc = main({list(args)!r})\n"
        "sys.stdout.flush()\n"
        "heavy = {'torch', 'numpy', 'omegaconf', 'safetensors'} & {m.split('.')[0] for m in sys.modules}\n"
        "sys.exit(99 if heavy else rc)\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)


def test_config_prints_the_yaml(ref_small: Path) -> None:
    result = run("config", str(ref_small))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("in_features: 8\nhidden: 16\n")
    assert f"vocab_file: nemo:{REF_ARTIFACT}" in result.stdout


@pytest.mark.parametrize("command", ["config", "ls", "info", "verify"])
def test_read_commands_never_import_torch(ref_small: Path, command: str) -> None:
    result = run_without_torch(command, str(ref_small))
    assert result.returncode == 0, result.stdout + result.stderr


def test_info_and_ls_json(ref_small: Path) -> None:
    info = run("info", "--json", str(ref_small))
    assert info.returncode == 0
    data = json.loads(info.stdout)
    assert data["target"] == "tests.core.nemo_ref_models.RefSmallModel"
    assert data["parameters"] == 212
    assert data["dtypes"] == ["float32"]
    assert data["manifest"] is None
    listing = json.loads(run("ls", "--json", str(ref_small)).stdout)
    assert [row["name"] for row in listing] == [REF_ARTIFACT, "model_config.yaml", "model_weights.ckpt"]
    assert listing[0]["size"] == 35
    text = run("info", str(ref_small)).stdout
    assert "parameters: 212" in text
    assert "manifest: none" in text


def test_pack_verify_unpack_extract(tmp_path: Path, ref_small: Path) -> None:
    unpacked = tmp_path / "u"
    assert run("unpack", str(ref_small), str(unpacked)).returncode == 0
    packed = tmp_path / "p.nemo"
    result = run("pack", str(unpacked), str(packed))
    assert result.returncode == 0, result.stderr
    verify = run("verify", "--json", str(packed))
    assert verify.returncode == 0
    report = json.loads(verify.stdout)
    assert report["ok"]
    assert any(c["name"] == "hash model_weights.ckpt" for c in report["checks"])
    assert "archive is valid" in run("verify", str(packed)).stdout
    one = tmp_path / "one"
    result = run("extract", str(packed), str(one), REF_ARTIFACT)
    assert result.returncode == 0
    assert [p.name for p in one.iterdir()] == [REF_ARTIFACT]
    # again without --overwrite: refused with the destination exit code
    assert run("extract", str(packed), str(one), REF_ARTIFACT).returncode == cli.EXIT_DESTINATION
    assert run("extract", "--overwrite", str(packed), str(one), REF_ARTIFACT).returncode == 0


def test_verify_fails_on_tampering(tmp_path: Path, ref_small: Path) -> None:
    unpacked = tmp_path / "u"
    run("unpack", str(ref_small), str(unpacked))
    packed = tmp_path / "p.nemo"
    run("pack", str(unpacked), str(packed))
    data = bytearray(packed.read_bytes())
    at = data.index(b"<unk>")
    data[at : at + 5] = b"<UNK>"
    packed.write_bytes(bytes(data))
    result = run_without_torch("verify", str(packed))
    assert result.returncode == cli.EXIT_VERIFY_FAILED
    assert "FAIL hash" in result.stdout
    assert "NOT valid" in result.stdout


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("empty", cli.EXIT_NOT_AN_ARCHIVE),
        ("truncated_tar", cli.EXIT_CORRUPT),
        ("gzip_bomb", cli.EXIT_CORRUPT),
        ("symlink", cli.EXIT_UNSAFE),
        ("yaml_python_tag", cli.EXIT_UNSAFE),
    ],
)
def test_exit_codes_and_messages(tmp_path: Path, kind: str, code: int) -> None:
    path = build_hostile(kind, tmp_path)
    result = run_without_torch("config", str(path))
    if kind == "yaml_python_tag":  # config prints the raw text; parsing is what refuses it
        result = run_without_torch("info", str(path))
    assert result.returncode == code, result.stderr
    assert str(path) in result.stderr
    assert "error" in result.stderr


def test_missing_file_and_usage(tmp_path: Path) -> None:
    result = run("info", str(tmp_path / "nope.nemo"))
    assert result.returncode == cli.EXIT_NOT_AN_ARCHIVE
    assert "nope.nemo" in result.stderr
    assert run().returncode == cli.EXIT_USAGE
    assert run("frobnicate").returncode == cli.EXIT_USAGE
    assert run("--version").stdout.startswith("nemo-archive ")


def test_missing_member_exit_code(tmp_path: Path, ref_small: Path) -> None:
    result = run("extract", str(ref_small), str(tmp_path / "x"), "no_such_member")
    assert result.returncode == cli.EXIT_MISSING_MEMBER
    assert "no_such_member" in result.stderr
    assert not (tmp_path / "x").exists()


def test_progress_bar_draws_only_on_a_terminal(tmp_path: Path) -> None:
    import io

    from nemo_archive._progress import ProgressBar

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    bar = ProgressBar(100, "pack", tty)
    bar(50)
    bar(50)
    bar.close()
    assert "pack [" in tty.getvalue()
    assert "100.0%" in tty.getvalue()
    plain = io.StringIO()
    quiet = ProgressBar(100, "pack", plain)
    quiet(100)
    quiet.close()
    assert plain.getvalue() == ""
