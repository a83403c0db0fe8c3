"""Tiny model classes that write real .nemo files (through nemo_archive, without torch) and the loopback Hub."""

from __future__ import annotations

import json
import struct
import tempfile
from pathlib import Path
from typing import Any

import pytest

from hf_io import HuggingFaceFileIO

# huggingface_hub reads HF_ENDPOINT and HF_HOME once, at its first import: the plugin sets them before that.
pytest_plugins = ["nemo_testing.plugin"]


def safetensors_bytes(weights: dict[str, list[float]]) -> bytes:
    """A safetensors file of float32 vectors, written by hand (the format is a JSON header plus raw data)."""
    header: dict[str, Any] = {}
    data = b""
    for name, values in weights.items():
        raw = struct.pack(f"<{len(values)}f", *values)
        header[name] = {
            "dtype": "F32",
            "shape": [len(values)],
            "data_offsets": [len(data), len(data) + len(raw)],
        }
        data += raw
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def read_safetensors(blob: bytes) -> dict[str, list[float]]:
    (size,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + size])
    body = blob[8 + size :]
    out = {}
    for name, meta in header.items():
        start, end = meta["data_offsets"]
        out[name] = list(struct.unpack(f"<{(end - start) // 4}f", body[start:end]))
    return out


class TinyModel(HuggingFaceFileIO):
    """A model with a config, two weight vectors and a vocabulary artifact; saves as a real .nemo file."""

    def __init__(self, weights: dict[str, list[float]] | None = None, vocab: bytes = b"a\nb\nc\n") -> None:
        self.weights = weights or {"encoder.weight": [1.0, 2.0, 3.0, 4.0], "decoder.bias": [0.5, -0.5]}
        self.vocab = vocab
        self.cfg: dict[str, Any] = {"target": f"{__name__}.{type(self).__qualname__}", "hidden": 4}
        self.saved: list[tuple[str, bytes]] = []  # (path, bytes) of every .nemo written

    def _write_nemo(self, path: Path) -> None:
        from nemo_archive import ArchiveWriter

        with tempfile.TemporaryDirectory() as tmp:
            weights = Path(tmp) / "model_weights.safetensors"
            weights.write_bytes(safetensors_bytes(self.weights))
            writer = ArchiveWriter(path)
            cfg = dict(self.cfg, tokenizer={"vocab": writer.add_artifact(self.vocab, name="vocab.txt")})
            writer.set_config(cfg)
            writer.set_weights_file(weights)
            writer.commit()
        self.saved.append((str(path), path.read_bytes()))

    def save_to(self, save_path: str) -> str:
        self._write_nemo(Path(save_path))
        return save_path

    @classmethod
    def restore_from(cls, restore_path: str) -> TinyModel:
        from nemo_archive import Archive

        with Archive(restore_path) as archive:
            cfg = archive.config
            weights = read_safetensors(archive.read_member(archive.weights_member))
            with archive.open_artifact(cfg["tokenizer"]["vocab"]) as stream:
                vocab = stream.read()
        model = cls(weights, vocab)
        model.cfg = {k: v for k, v in cfg.items() if k != "tokenizer"}
        return model


class Connector:
    """Stands in for ModelPT's SaveRestoreConnector: only its pack_nemo_file switch matters here."""

    def __init__(self) -> None:
        self.pack_nemo_file = True


class ConnectorModel(TinyModel):
    """Saves unpacked into ``save_path`` when its connector says so, as nemo-core's ModelPT does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._save_restore_connector = Connector()
        self.save_calls: list[tuple[str, bool]] = []

    @property
    def num_weights(self) -> int:
        return 1234

    def save_to(self, save_path: str) -> str:
        pack = self._save_restore_connector.pack_nemo_file
        self.save_calls.append((save_path, pack))
        if pack:
            return super().save_to(save_path)
        from nemo_archive import unpack

        with tempfile.TemporaryDirectory() as tmp:
            packed = Path(tmp) / "model.nemo"
            self._write_nemo(packed)
            unpack(packed, save_path)
        return save_path


@pytest.fixture
def tiny_model() -> TinyModel:
    return TinyModel()


@pytest.fixture
def connector_model() -> ConnectorModel:
    return ConnectorModel()


@pytest.fixture
def model_classes() -> tuple[type[TinyModel], type[ConnectorModel]]:
    return TinyModel, ConnectorModel
