"""``nemo.utils.export_utils``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import Unported, unported

__all__ = [
    "ExportFormat",
    "LinearWithBiasSkip",
    "MatchedScaleMaskSoftmax",
    "TorchRMSNorm",
    "add_casts_around_norms",
    "augment_filename",
    "forward_method",
    "get_export_format",
    "parse_input_example",
    "rename_onnx_io",
    "replace_MatchedScaleMaskSoftmax",
    "replace_for_export",
    "replace_modules",
    "run_ort_and_compare",
    "run_ts_and_compare",
    "script_module",
    "simple_replace",
    "swap_modules",
    "to_onnxrt_input",
    "verify_runtime",
    "verify_torchscript",
    "wrap_forward_method",
    "wrap_module",
]


class ExportFormat(Unported):
    """NeMo's ``ExportFormat``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.export_utils.ExportFormat"


class LinearWithBiasSkip(Unported):
    """NeMo's ``LinearWithBiasSkip``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.export_utils.LinearWithBiasSkip"


class MatchedScaleMaskSoftmax(Unported):
    """NeMo's ``MatchedScaleMaskSoftmax``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.export_utils.MatchedScaleMaskSoftmax"


class TorchRMSNorm(Unported):
    """NeMo's ``TorchRMSNorm``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.export_utils.TorchRMSNorm"


def add_casts_around_norms(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``add_casts_around_norms``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.export_utils.add_casts_around_norms")


def augment_filename(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``augment_filename``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.export_utils.augment_filename")


def forward_method(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``forward_method``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.export_utils.forward_method")


def get_export_format(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``get_export_format``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.export_utils.get_export_format")


def parse_input_example(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``parse_input_example``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.export_utils.parse_input_example")


def rename_onnx_io(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``rename_onnx_io``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.export_utils.rename_onnx_io")


def replace_MatchedScaleMaskSoftmax(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``replace_MatchedScaleMaskSoftmax``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.export_utils.replace_MatchedScaleMaskSoftmax")


def replace_for_export(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``replace_for_export``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.export_utils.replace_for_export")


def replace_modules(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``replace_modules``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.export_utils.replace_modules")


def run_ort_and_compare(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``run_ort_and_compare``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.export_utils.run_ort_and_compare")


def run_ts_and_compare(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``run_ts_and_compare``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.export_utils.run_ts_and_compare")


def script_module(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``script_module``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.export_utils.script_module")


def simple_replace(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``simple_replace``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.export_utils.simple_replace")


def swap_modules(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``swap_modules``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.export_utils.swap_modules")


def to_onnxrt_input(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``to_onnxrt_input``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.export_utils.to_onnxrt_input")


def verify_runtime(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``verify_runtime``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.export_utils.verify_runtime")


def verify_torchscript(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``verify_torchscript``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.export_utils.verify_torchscript")


def wrap_forward_method(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``wrap_forward_method``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.export_utils.wrap_forward_method")


def wrap_module(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``wrap_module``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.export_utils.wrap_module")
