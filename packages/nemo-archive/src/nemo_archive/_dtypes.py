"""Element types known to the readers: torch dtype name → (item size in bytes, safetensors code)."""

from __future__ import annotations

DTYPES: dict[str, tuple[int, str]] = {
    "float64": (8, "F64"),
    "float32": (4, "F32"),
    "float16": (2, "F16"),
    "bfloat16": (2, "BF16"),
    "int64": (8, "I64"),
    "int32": (4, "I32"),
    "int16": (2, "I16"),
    "int8": (1, "I8"),
    "uint8": (1, "U8"),
    "uint16": (2, "U16"),
    "uint32": (4, "U32"),
    "uint64": (8, "U64"),
    "bool": (1, "BOOL"),
    "complex64": (8, "C64"),
    "complex128": (16, "C128"),
    "complex32": (4, "C32"),
    "float8_e4m3fn": (1, "F8_E4M3"),
    "float8_e5m2": (1, "F8_E5M2"),
    "float8_e4m3fnuz": (1, "F8_E4M3FNUZ"),
    "float8_e5m2fnuz": (1, "F8_E5M2FNUZ"),
    "float8_e8m0fnu": (1, "F8_E8M0"),
}

# torch's legacy typed-storage class names, as they appear in checkpoints' persistent ids.
STORAGE_TYPES: dict[str, str] = {
    "DoubleStorage": "float64",
    "FloatStorage": "float32",
    "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16",
    "LongStorage": "int64",
    "IntStorage": "int32",
    "ShortStorage": "int16",
    "CharStorage": "int8",
    "ByteStorage": "uint8",
    "BoolStorage": "bool",
    "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128",
    "UntypedStorage": "uint8",
}

SAFETENSORS_CODES: dict[str, str] = {code: name for name, (_, code) in DTYPES.items()}


def itemsize(dtype: str) -> int:
    """Bytes per element of the dtype called ``dtype`` (a torch attribute name)."""
    return DTYPES[dtype][0]
