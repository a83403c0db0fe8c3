"""The default model card of a NeMo model on the Hub, and the ``{placeholder}`` substitution of the docs.

Placeholders are replaced literally (``{key}`` -> value), never with ``str.format``, so braces elsewhere in a
card (code, JSON) are left alone and unknown placeholders survive until :meth:`push_to_hf_hub` fills in
``{model_name}`` and ``{repo_id}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import _hub

NEMO_DEFAULT_MODEL_CARD_TEMPLATE = """---
{card_data}
---

# {model_name}

A NeMo model of class `{model_class}`, stored on the Hugging Face Hub as a `.nemo` checkpoint (or as the
unpacked contents of one).

## How to use this model

Install the package that defines `{model_class}` (and `nemo-core`), then download and restore the model:

```python
from {model_module} import {model_class_name}

model = {model_class_name}.from_pretrained("{repo_id}")
```

The checkpoint can also be downloaded alone (it is cached by the Hugging Face Hub client):

```python
from hf_io import resolve_pretrained

path = resolve_pretrained("{repo_id}")  # a .nemo file, or the folder of an unpacked model
```

## Model details

- Model class: `{model_class}`
- Parameters: {num_parameters}
"""
"""The template :meth:`HuggingFaceFileIO.generate_model_card` uses when given none."""

DEFAULT_TAGS = ("pytorch", "NeMo")
DEFAULT_LICENSE = "cc-by-4.0"


def substitute(template: str, values: Mapping[str, Any]) -> str:
    """Replace each ``{key}`` of ``values`` in ``template`` by ``str(value)``; other braces stay as they are."""
    text = template
    for key, value in values.items():
        text = text.replace("{" + str(key) + "}", str(value))
    return text


def card_data_yaml(model_class: str, num_parameters: int | None) -> str:
    """The card's YAML metadata: library ``nemo``, NeMo's default tags and license, model class, parameters."""
    data: dict[str, Any] = {
        "library_name": _hub.LIBRARY_NAME,
        "license": DEFAULT_LICENSE,
        "tags": list(DEFAULT_TAGS),
        "model_class": model_class,
    }
    if num_parameters is not None:
        data["num_parameters"] = num_parameters
    card_data = _hub.hf().ModelCardData(**data)
    return str(card_data.to_yaml())


def pretty_model_name(repo_name: str) -> str:
    """``my_asr_model`` -> ``My Asr Model``: underscores to spaces, each word capitalised (NeMo's card title)."""
    return " ".join(word[:1].upper() + word[1:] for word in repo_name.replace("_", " ").split())


def format_count(num_parameters: int | None) -> str:
    """A parameter count for the card body (``1,234,567 (1.2M)``), or ``unknown``."""
    if num_parameters is None:
        return "unknown"
    for limit, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if num_parameters >= limit:
            return f"{num_parameters:,} ({num_parameters / limit:.1f}{suffix})"
    return f"{num_parameters:,}"
