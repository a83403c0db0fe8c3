"""``import hf_io`` stays light: no torch, no huggingface_hub until something is used."""

from __future__ import annotations

import subprocess
import sys


def test_import_is_light() -> None:
    code = (
        "import sys, hf_io\n"
        "heavy = {'torch', 'lightning', 'huggingface_hub', 'nemo_archive', 'yaml', 'tqdm', 'httpx', 'httpx2'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def test_public_names() -> None:
    import hf_io

    for name in hf_io.__all__:
        assert getattr(hf_io, name) is not None
    assert issubclass(hf_io.InvalidRepoIdError, ValueError)
    assert issubclass(hf_io.HubUnreachableError, ConnectionError)
    assert issubclass(hf_io.AmbiguousNemoFileError, hf_io.HfIoError)


def test_model_protocols(model_classes: tuple[type, type]) -> None:
    from hf_io import Restorable, Savable

    model = model_classes[0]()
    assert isinstance(model, Savable)
    assert isinstance(model_classes[0], Restorable)
    assert not isinstance(object(), Savable)
