"""One side of the interop check, run under either implementation (the venv decides which ``nemo`` it is).

    save OUT_DIR                 build the model (seeded), save_to OUT_DIR/model.nemo, write the expectation
    check NEMO EXPECTED OUT_DIR  restore NEMO, compare with EXPECTED exactly, save it again to OUT_DIR

Prints ``@@RESULT <json>``: what was compared and whether it matched.
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
import warnings
from pathlib import Path
from typing import Any

import torch
from omegaconf import OmegaConf

# the shared model lives at shared/tests/core/ (a dotted path nemo_toolkit agrees to restore)
sys.path.insert(0, str(Path(__file__).resolve().parent / "shared"))
from tests.core.interop_model import InteropEncoder, InteropModel

HIDDEN = 16
VOCAB = "<unk>\nhello\nworld\nnemo\n"
LABELS = "cat\ndog\nbird\n"


def fixed_input() -> Any:
    """The same input on every run, independent of any random state."""
    return torch.linspace(-2.0, 2.0, 4 * HIDDEN, dtype=torch.float32).reshape(4, HIDDEN)


def implementation() -> str:
    """Which implementation ``nemo`` is in this venv."""
    try:
        return f"nemo_toolkit {importlib.metadata.version('nemo_toolkit')}"
    except importlib.metadata.PackageNotFoundError:
        return f"nemo-core {importlib.metadata.version('nemo-core')}"


def outputs(model: Any) -> Any:
    """The model's output on the fixed input, in eval mode without gradients."""
    model.eval()
    with torch.no_grad():
        return model(fixed_input())


def expectation(model: Any) -> dict[str, Any]:
    """Everything a faithful restore must reproduce exactly."""
    return {
        "output": outputs(model),
        "state_dict": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "labels": model.labels,
        "vocab": model.encoder.vocab,
    }


def save(out_dir: Path) -> dict[str, Any]:
    """Build the model from scratch and save it with this implementation."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "vocab.txt").write_text(VOCAB, encoding="utf-8")
    (out_dir / "labels.txt").write_text(LABELS, encoding="utf-8")
    cfg = OmegaConf.create(
        {
            "hidden": HIDDEN,
            "labels_file": str(out_dir / "labels.txt"),
            "encoder": {"hidden": HIDDEN, "vocab_file": str(out_dir / "vocab.txt")},
        }
    )
    torch.manual_seed(0)
    model = InteropModel(cfg)
    model.save_to(str(out_dir / "model.nemo"))
    torch.save(expectation(model), out_dir / "expected.pt")
    return {"saved": str(out_dir / "model.nemo")}


def check(nemo: Path, expected_path: Path, out_dir: Path) -> dict[str, Any]:
    """Restore ``nemo`` with this implementation, compare exactly, and save it again for the other side."""
    expected = torch.load(expected_path, weights_only=True)
    model = InteropModel.restore_from(str(nemo), map_location="cpu")
    got = expectation(model)
    state_keys = sorted(expected["state_dict"]) == sorted(got["state_dict"])
    checks = {
        "restored class": type(model) is InteropModel,
        "nested submodule class": type(model.encoder) is InteropEncoder,
        "nested submodule registered": "encoder" in dict(model._nemo_submodule_name_to_config_field),
        "output equal (torch.equal)": torch.equal(expected["output"], got["output"]),
        "state dict keys": state_keys,
        "state dict tensors equal": state_keys
        and all(torch.equal(expected["state_dict"][k], got["state_dict"][k]) for k in got["state_dict"]),
        "artifact content (labels_file)": got["labels"] == expected["labels"] == LABELS,
        "nested artifact content (encoder.vocab_file)": got["vocab"] == expected["vocab"] == VOCAB,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_to(str(out_dir / "model.nemo"))
    torch.save(got, out_dir / "expected.pt")
    return {"restored": str(nemo), "checks": checks}


def main(argv: list[str]) -> None:
    """Dispatch ``argv`` and print the result line."""
    warnings.simplefilter("ignore")
    if argv[0] == "save":
        result = save(Path(argv[1]))
    elif argv[0] == "check":
        result = check(Path(argv[1]), Path(argv[2]), Path(argv[3]))
    else:
        raise SystemExit(f"unknown command {argv[0]!r}; expected save or check")
    line = json.dumps({"implementation": implementation(), **result})
    print(f"@@RESULT {line}", flush=True)  # noqa: T201 - the driver reads this line


if __name__ == "__main__":
    main(sys.argv[1:])
