"""Hostile and broken archives: each is refused with a specific error; nothing lands outside the target."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

import nemo_archive
from archive_builders import (
    CONFIG_YAML,
    HOSTILE,
    REF_ARTIFACT,
    build_hostile,
    evil_pickle,
    make_tar,
    torch_zip,
)
from nemo_archive import errors


def _snapshot(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_archive_is_refused_on_open(tmp_path: Path, kind: str) -> None:
    src_dir = tmp_path / "src"
    src_dir.mkdir()
    path = build_hostile(kind, src_dir)
    dest = tmp_path / "dest"
    before = _snapshot(tmp_path)
    expected = getattr(errors, HOSTILE[kind])
    with pytest.raises(expected) as info:
        nemo_archive.unpack(path, dest)
    # The message names the file and says what to do.
    assert str(path) in str(info.value)
    assert info.value.path == str(path)
    # Nothing was written anywhere: not outside the destination, not even the destination itself.
    assert _snapshot(tmp_path) == before
    assert not Path("/tmp/nemo_archive_evil.txt").exists() or kind != "absolute_path"


@pytest.mark.parametrize("kind", ["symlink", "dotdot", "absolute_path", "device"])
def test_unsafe_member_error_names_the_member(tmp_path: Path, kind: str) -> None:
    path = build_hostile(kind, tmp_path)
    with pytest.raises(errors.UnsafeMemberError) as info:
        nemo_archive.Archive(path)
    assert info.value.member is not None
    assert info.value.member in str(info.value)


def test_yaml_python_tags_are_refused(tmp_path: Path) -> None:
    path = build_hostile("yaml_python_tag", tmp_path)
    with nemo_archive.Archive(path) as archive:
        assert "python/object" in archive.config_text  # the raw text is still readable
        with pytest.raises(errors.UnsafeContentError, match=r"model_config\.yaml"):
            _ = archive.config
        report = archive.verify()
    assert not report.ok


def test_pickle_that_would_run_code_is_refused_without_running_it(tmp_path: Path) -> None:
    marker = tmp_path / "code_ran"
    path = make_tar(
        tmp_path / "evil.nemo",
        [("./model_config.yaml", CONFIG_YAML), ("./model_weights.ckpt", torch_zip(evil_pickle(marker)))],
    )
    with nemo_archive.Archive(path) as archive:
        with pytest.raises(errors.UnsafeContentError, match=r"posix\.mkdir|os\.mkdir"):
            archive.tensor_info()
        assert not archive.verify().ok
        with pytest.raises(errors.UnsafeContentError, match="weights_only=False"):
            archive.load_state_dict()
    assert not marker.exists()


def test_absurd_size_inside_gzip_hits_the_size_limit(tmp_path: Path) -> None:
    plain = build_hostile("absurd_size", tmp_path)
    import gzip

    packed = tmp_path / "absurd.nemo.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    with pytest.raises((errors.SizeLimitError, errors.CorruptArchiveError)):
        nemo_archive.Archive(packed)


def test_gzip_limit_can_be_raised_for_genuine_archives(tmp_path: Path) -> None:
    path = build_hostile("gzip_bomb", tmp_path)
    # With a limit above the inflated size, the (harmless) archive opens.
    with nemo_archive.Archive(path, max_uncompressed_size=200 * 1024 * 1024) as archive:
        assert archive.member("model_weights.ckpt").size == 96 * 1024 * 1024


def test_directory_archive_refuses_symlinks(tmp_path: Path) -> None:
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    (unpacked / "model_config.yaml").write_bytes(CONFIG_YAML)
    (unpacked / "secret").symlink_to("/etc/passwd")
    with pytest.raises(errors.UnsafeMemberError, match="secret"):
        nemo_archive.Archive(unpacked)


def test_directory_without_config_is_not_an_archive(tmp_path: Path) -> None:
    (tmp_path / "model_config.yaml").mkdir()  # a directory in place of the config file
    with pytest.raises(errors.NotAnArchiveError):
        nemo_archive.Archive(tmp_path)


def test_extraction_refuses_a_directory_in_place_of_a_file(tmp_path: Path, ref_small: Path) -> None:
    dest = tmp_path / "dest"
    (dest / "model_config.yaml").mkdir(parents=True)
    with pytest.raises(errors.DestinationError, match="is a directory"):
        nemo_archive.unpack(ref_small, dest)


def test_extraction_does_not_follow_symlinks_in_the_destination(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    path = make_tar(tmp_path / "a.nemo", [("./model_config.yaml", CONFIG_YAML), ("./sub/file.txt", b"x")])
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "sub").symlink_to(outside)
    with pytest.raises(errors.UnsafeMemberError, match="outside the destination"):
        nemo_archive.unpack(path, dest)
    assert list(outside.iterdir()) == []


def test_extraction_does_not_overwrite_unless_asked(tmp_path: Path, ref_small: Path) -> None:
    dest = tmp_path / "dest"
    nemo_archive.unpack(ref_small, dest)
    (dest / "model_config.yaml").write_text("changed")
    with pytest.raises(errors.DestinationError, match="overwrite"):
        nemo_archive.unpack(ref_small, dest)
    assert (dest / "model_config.yaml").read_text() == "changed"
    nemo_archive.unpack(ref_small, dest, overwrite=True)
    assert (dest / "model_config.yaml").read_text().startswith("in_features: 8")
    # An existing symlink at a member's place is replaced, never written through.
    target = tmp_path / "victim.txt"
    target.write_text("keep")
    os.unlink(dest / REF_ARTIFACT)
    (dest / REF_ARTIFACT).symlink_to(target)
    nemo_archive.unpack(ref_small, dest, overwrite=True)
    assert target.read_text() == "keep"
    assert not (dest / REF_ARTIFACT).is_symlink()


def test_missing_members_are_reported_with_the_archive_contents(tmp_path: Path) -> None:
    path = make_tar(tmp_path / "cfg_only.nemo", [("./model_config.yaml", CONFIG_YAML)])
    with nemo_archive.Archive(path) as archive:
        with pytest.raises(errors.MissingMemberError, match="model_weights"):
            _ = archive.weights_member
        with pytest.raises(errors.MissingMemberError, match=r"model_config\.yaml"):
            archive.open_artifact("nemo:0123456789abcdef0123456789abcdef_missing.txt")
        with pytest.raises(KeyError):  # MissingMemberError is also a KeyError
            archive.member("nope")


def test_member_that_is_not_a_tar_regular_file_type(tmp_path: Path) -> None:
    path = tmp_path / "contig.nemo"
    with tarfile.open(path, "w:") as tar:
        info = tarfile.TarInfo("./model_config.yaml")
        info.type = tarfile.CONTTYPE  # contiguous files are fine for tarfile but unusual: treated as regular
        info.size = len(CONFIG_YAML)
        import io

        tar.addfile(info, io.BytesIO(CONFIG_YAML))
    with nemo_archive.Archive(path) as archive:
        assert archive.config == {"target": "tests.Model", "hidden": 4}
