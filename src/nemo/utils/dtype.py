"""``nemo.utils.dtype``: ``str_to_dtype``, torch dtypes from the names configs use."""

from __future__ import annotations

from typing import Any

__all__ = ["str_to_dtype"]

_ALIASES = {
    "float32": "float32", "fp32": "float32", "32": "float32", "32-true": "float32", "float": "float32",
    "float16": "float16", "fp16": "float16", "16": "float16", "16-mixed": "float16", "16-true": "float16",
    "half": "float16", "bfloat16": "bfloat16", "bf16": "bfloat16", "bf16-mixed": "bfloat16",
    "bf16-true": "bfloat16", "float64": "float64", "fp64": "float64", "64": "float64", "double": "float64",
    "int8": "int8", "uint8": "uint8", "int16": "int16", "int32": "int32", "int": "int32", "int64": "int64",
    "long": "int64", "bool": "bool",
}  # fmt: skip


def str_to_dtype(dtype: Any) -> Any:
    """Return the ``torch.dtype`` named by ``dtype`` (``"bf16"``, ``"float32"``, ``"16-mixed"``, ``torch.float``...).

    Raises:
        ValueError: The name is not a known dtype.
    """
    import torch  # noqa: PLC0415

    if isinstance(dtype, torch.dtype):
        return dtype
    key = str(dtype).strip().lower().removeprefix("torch.")
    if key not in _ALIASES:
        raise ValueError(
            f"Unrecognized dtype {dtype!r}; expected one of {sorted(_ALIASES)} or a torch.dtype."
        )
    return getattr(torch, _ALIASES[key])
