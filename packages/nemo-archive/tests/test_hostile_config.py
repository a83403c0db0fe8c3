"""Hostile and tricky configs: YAML bombs, crash-deep nesting, NeMo's (OmegaConf's) scalar rules, references.

Every hostile config is generated here. The checks count (errors raised, nodes, bytes) rather than time.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

import nemo_archive
from archive_builders import make_tar
from nemo_archive import errors
from nemo_archive._yaml import ConfigLimits, dump_config, load_config


def _archive(tmp_path: Path, config: str, *extra: tuple[str, bytes]) -> Path:
    return make_tar(tmp_path / "cfg.nemo", [("./model_config.yaml", config.encode()), *extra])


def _laughs(levels: int = 12, width: int = 10) -> str:
    """Each level lists the previous one ``width`` times: ``width ** levels`` nodes in about 1 KB."""
    lines = ["target: tests.Model", f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def _alias_chain(length: int) -> str:
    """Text nests two levels deep, but each alias wraps the previous one: ``length`` levels once expanded."""
    lines = ["a0: &a0 [leaf]"] + [f"a{i}: &a{i} [*a{i - 1}]" for i in range(1, length)]
    return "\n".join(lines) + "\n"


def _merge_chain(length: int) -> str:
    """Each mapping merges the previous one and adds a key: the merged keys grow quadratically."""
    lines = ["m0: &m0 {k0: 0}"] + [f"m{i}: &m{i} {{<<: *m{i - 1}, k{i}: {i}}}" for i in range(1, length)]
    return "\n".join(lines) + "\n"


def _deep_flow(size: int = 100_000) -> str:
    return "target: tests.Model\nx: " + "[" * size + "]" * size + "\n"


# ----------------------------------------------------------------------------------------------- crashes
@pytest.mark.slow
@pytest.mark.parametrize("text", [_deep_flow(), "x: " + "{a: " * 50_000 + "}" * 50_000])
def test_deeply_nested_flow_collections_are_refused_without_crashing(tmp_path: Path, text: str) -> None:
    # libyaml's C composer recurses once per level and kills the process (SIGSEGV) on this input; run it
    # in a child so a crash fails the test instead of the whole session.
    path = _archive(tmp_path, text)
    code = (
        "import sys, nemo_archive\n"
        "from nemo_archive import errors\n"
        "a = nemo_archive.Archive(sys.argv[1])\n"
        "try:\n"
        "    a.config\n"
        "except errors.SizeLimitError as exc:\n"
        "    assert 'deeper than 64' in str(exc), exc\n"
        "    print('refused')\n"
        "report = a.verify()\n"
        "assert not report.ok\n"
        "print('verify ok')\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120, check=False
    )
    assert child.returncode == 0, child.stderr[-2000:]
    assert child.stdout.split() == ["refused", "verify", "ok"]
    cli = subprocess.run(
        [sys.executable, "-m", "nemo_archive.cli", "info", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert cli.returncode == 4, cli.stderr[-2000:]
    assert "deeper than 64 levels" in cli.stderr


def test_nesting_limit_counts_the_text_depth() -> None:
    ok = "x: " + "[" * 60 + "]" * 60
    node = load_config(ok, "p", "m")["x"]
    for _ in range(59):
        node = node[0]
    assert node == []
    with pytest.raises(errors.SizeLimitError, match="deeper than 64"):
        load_config("x: " + "[" * 70 + "]" * 70, "p", "m")
    with pytest.raises(errors.SizeLimitError, match="deeper than 8"):
        load_config("x: " + "[" * 9 + "]" * 9, "p", "m", ConfigLimits(max_depth=8))


# ----------------------------------------------------------------------------------------------- bombs
def test_billion_laughs_is_refused_by_every_reader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _archive(tmp_path, _laughs())
    with nemo_archive.Archive(path) as archive:
        with pytest.raises(errors.SizeLimitError, match="expands to more than 200000 nodes") as info:
            _ = archive.config
        assert info.value.member == "model_config.yaml"
        assert str(path) in str(info.value)
        with pytest.raises(errors.SizeLimitError):
            _ = archive.target
        with pytest.raises(errors.SizeLimitError):
            archive.artifact_refs()
        report = archive.verify()
    failed = {c.name for c in report.checks if not c.ok}
    assert "config" in failed
    from nemo_archive.cli import main

    assert main(["info", str(path)]) == 4
    assert "expands to more than" in capsys.readouterr().err
    assert main(["verify", str(path)]) == 1
    # `config` prints the text as stored: nothing is expanded, so it stays small.
    assert main(["config", str(path)]) == 0
    assert len(capsys.readouterr().out) < 2000


def test_alias_chains_count_as_deep_as_they_expand() -> None:
    text = _alias_chain(200)
    with pytest.raises(errors.SizeLimitError, match="deeper than 64 levels"):
        load_config(text, "p", "m")
    # Under the limit the shared structure loads, and is as deep as its expansion.
    data = load_config(_alias_chain(40), "p", "m")
    depth, node = 0, data["a39"]
    while isinstance(node, list):
        depth, node = depth + 1, node[0]
    assert depth == 40
    assert node == "leaf"


def test_merge_key_chains_are_counted_in_full() -> None:
    with pytest.raises(errors.SizeLimitError, match="expands to more than"):
        load_config(_merge_chain(60), "p", "m", ConfigLimits(max_nodes=2_000, max_depth=1_000))
    merged = load_config(_merge_chain(5), "p", "m")["m4"]
    assert merged == {"k0": 0, "k1": 1, "k2": 2, "k3": 3, "k4": 4}


def test_self_referencing_alias_is_refused(tmp_path: Path) -> None:
    # PyYAML registers an anchor before its children, so `&a [*a]` builds a list that contains itself;
    # walking it (artifact references, OmegaConf) never ends.
    path = _archive(tmp_path, "target: tests.Model\nloop: &a [1, *a]\n")
    with nemo_archive.Archive(path) as archive:
        with pytest.raises(errors.CorruptArchiveError, match="self-referencing"):
            _ = archive.config
        assert not archive.verify().ok


def test_limits_are_configurable(tmp_path: Path) -> None:
    text = _laughs(levels=4)  # 10**4 leaves
    assert load_config(text, "p", "m")["l3"][0][0][0][0] == "lol"
    with pytest.raises(errors.SizeLimitError, match="more than 1000 nodes"):
        load_config(text, "p", "m", ConfigLimits(max_nodes=1000))
    path = _archive(tmp_path, text)
    with nemo_archive.Archive(path, config_limits=ConfigLimits(max_bytes=100)) as archive:
        with pytest.raises(errors.SizeLimitError, match="more than 100"):
            _ = archive.config
        with pytest.raises(errors.SizeLimitError, match="more than 100"):
            _ = archive.config_text
    with nemo_archive.Archive(path, config_limits=ConfigLimits(max_nodes=20_000)) as archive:
        assert archive.config["target"] == "tests.Model"


def test_many_aliases_of_a_big_list_do_not_pass_as_small() -> None:
    text = "big: &b [" + ", ".join(["1"] * 1000) + "]\nuses: [" + ", ".join(["*b"] * 500) + "]\n"
    with pytest.raises(errors.SizeLimitError):
        load_config(text, "p", "m")


# ----------------------------------------------------------------------------------------------- semantics
SCALARS = [
    "1e-3",
    "1E5",
    "-2.5e+10",
    "1.0",
    "1.",
    ".5",
    "+.5e-3",
    "3.14_15",
    "1_000.5",
    "190:20:30.15",
    "1e3_0",
    ".inf",
    "-.Inf",
    ".nan",
    ".NaN",
    "1",
    "-1",
    "0",
    "0o17",
    "017",
    "0x1F",
    "0b101",
    "1_000",
    "190:20:30",
    "+12",
    "true",
    "True",
    "yes",
    "No",
    "on",
    "OFF",
    "y",
    "n",
    "null",
    "~",
    "Null",
    "",
    "2024-01-01",
    "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10 -5",
    "${model.lr}",
    "${oc.env:SECRET}",
    "'1e-3'",
    '"2024-01-01"',
    "!!str 1",
    "!!float 1",
    "!!int '7'",
    "!!bool yes",
    "!!binary aGk=",
    "abc",
    "1e",
    "e3",
    "1.2.3",
    "0.",
    "+",
    ".",
    "1__0",
    "_1",
    "1e-3e",
    "12:60",
    "0x",
    "=",
    "<<",
    "nemo:abc_vocab.txt",
    "[1e-3, 2024-01-01]",
    "{a: 1e-3}",
]


def _omegaconf_load(text: str) -> object:
    yaml = pytest.importorskip("yaml")
    utils = pytest.importorskip("omegaconf._utils")
    return yaml.load(text, Loader=utils.get_yaml_loader())


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, (list, dict)):
        return type(a) is type(b) and str(a) == str(b)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("scalar", SCALARS)
def test_scalars_resolve_as_omegaconf_resolves_them(scalar: str) -> None:
    text = f"v: {scalar}\n"
    yaml = pytest.importorskip("yaml")
    try:
        expected = _omegaconf_load(text)
    except yaml.YAMLError:  # refused by OmegaConf (e.g. a bare merge key): refused here too
        with pytest.raises(errors.ArchiveError):
            load_config(text, "p", "m")
        return
    assert isinstance(expected, dict)
    got = load_config(text, "p", "m")
    assert _same(got["v"], expected["v"]), (scalar, got["v"], expected["v"])


def test_nemo_style_values() -> None:
    data = load_config("optim:\n  lr: 1e-3\n  wd: 1.0e-2\ncreated: 2024-01-01\nref: ${optim.lr}\n", "p", "m")
    assert data == {"optim": {"lr": 0.001, "wd": 0.01}, "created": "2024-01-01", "ref": "${optim.lr}"}


def test_duplicate_keys_are_refused_like_omegaconf(tmp_path: Path) -> None:
    text = "target: tests.Model\nhidden: 4\nhidden: 8\n"
    yaml = pytest.importorskip("yaml")
    with pytest.raises(yaml.constructor.ConstructorError):
        _omegaconf_load(text)
    with (
        nemo_archive.Archive(_archive(tmp_path, text)) as archive,
        pytest.raises(errors.CorruptArchiveError, match="duplicate key hidden"),
    ):
        _ = archive.config


def test_a_config_written_by_omegaconf_with_a_path_loads() -> None:
    omegaconf = pytest.importorskip("omegaconf")
    text = omegaconf.OmegaConf.to_yaml(omegaconf.OmegaConf.create({"data": Path("/data/x.json")}))
    assert "pathlib" in text
    assert load_config(text, "p", "m") == {"data": Path("/data/x.json")}


def test_dumped_strings_read_back_as_strings_in_omegaconf() -> None:
    text = dump_config({"lr": "1e-3", "day": "2024-01-01", "real": 1e-3})
    assert _omegaconf_load(text) == {"lr": "1e-3", "day": "2024-01-01", "real": 1e-3}
    assert load_config(text, "p", "m") == {"lr": "1e-3", "day": "2024-01-01", "real": 1e-3}


def test_interpolations_are_saved_unresolved(monkeypatch: pytest.MonkeyPatch) -> None:
    omegaconf = pytest.importorskip("omegaconf")
    monkeypatch.setenv("NEMO_ARCHIVE_TEST_SECRET", "hunter2")
    cfg = omegaconf.OmegaConf.create({"key": "${oc.env:NEMO_ARCHIVE_TEST_SECRET}", "a": 1, "b": "${a}"})
    text = dump_config(cfg)
    assert "hunter2" not in text
    assert load_config(text, "p", "m") == {"key": "${oc.env:NEMO_ARCHIVE_TEST_SECRET}", "a": 1, "b": "${a}"}


# ----------------------------------------------------------------------------------------------- references
@pytest.mark.parametrize(
    "ref",
    ["nemo:../../etc/passwd", "nemo:/etc/passwd", "nemo:sub/abc_vocab.txt", "nemo:a\\b", "nemo:", "nemo:.."],
)
def test_artifact_references_must_name_a_member(tmp_path: Path, ref: str) -> None:
    path = _archive(tmp_path, f"target: tests.Model\ntokenizer:\n  vocab: '{ref}'\n", ("./etc/passwd", b"x"))
    dest = tmp_path / "out"
    dest.mkdir()
    with nemo_archive.Archive(path) as archive:
        with pytest.raises(errors.UnsafeContentError, match=r"tokenizer\.vocab") as info:
            archive.artifact_refs()
        assert "plain name of a member" in str(info.value)
        with pytest.raises(errors.UnsafeContentError):
            archive.open_artifact(ref)
        with pytest.raises(errors.UnsafeContentError):
            archive.extract_artifact(ref, dest)
        report = archive.verify()
    assert [c.ok for c in report.checks if c.name == "artifacts"] == [False]
    assert list(dest.iterdir()) == []


def test_plain_artifact_references_still_resolve(tmp_path: Path) -> None:
    name = "0123456789abcdef0123456789abcdef_vocab.txt"
    path = _archive(tmp_path, f"target: tests.Model\nvocab: nemo:{name}\n", (f"./{name}", b"a\nb\n"))
    with nemo_archive.Archive(path) as archive:
        assert archive.artifact_refs() == {"vocab": name}
        with archive.open_artifact(f"nemo:{name}") as stream:
            assert stream.read() == b"a\nb\n"
        assert [c.ok for c in archive.verify().checks if c.name == "artifacts"] == [True]
