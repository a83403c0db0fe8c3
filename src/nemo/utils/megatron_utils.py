"""``nemo.utils.megatron_utils``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import Unported, unported

__all__ = [
    "ApexGuardDefaults",
    "ApproxGELUActivation",
    "average_losses_across_data_parallel_group",
    "build_attention_mask_3d",
    "build_attention_mask_3d_causal",
    "build_attention_mask_3d_padding",
    "build_position_ids",
    "get_iterator_k_split",
    "get_ltor_masks_and_position_ids",
    "init_method_const",
    "init_method_kaiming_uniform",
    "init_method_normal",
    "make_attention_mask_3d",
    "make_inference_attention_mask_3d",
    "make_inference_history_mask_3d",
    "split_list",
]


class ApexGuardDefaults(Unported):
    """NeMo's ``ApexGuardDefaults``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.megatron_utils.ApexGuardDefaults"


def ApproxGELUActivation(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``ApproxGELUActivation``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.megatron_utils.ApproxGELUActivation")


def average_losses_across_data_parallel_group(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``average_losses_across_data_parallel_group``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.megatron_utils.average_losses_across_data_parallel_group")


def build_attention_mask_3d(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``build_attention_mask_3d``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.megatron_utils.build_attention_mask_3d")


def build_attention_mask_3d_causal(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``build_attention_mask_3d_causal``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.megatron_utils.build_attention_mask_3d_causal")


def build_attention_mask_3d_padding(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``build_attention_mask_3d_padding``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.megatron_utils.build_attention_mask_3d_padding")


def build_position_ids(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``build_position_ids``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.megatron_utils.build_position_ids")


def get_iterator_k_split(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``get_iterator_k_split``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.megatron_utils.get_iterator_k_split")


def get_ltor_masks_and_position_ids(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``get_ltor_masks_and_position_ids``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.megatron_utils.get_ltor_masks_and_position_ids")


def init_method_const(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``init_method_const``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.megatron_utils.init_method_const")


def init_method_kaiming_uniform(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``init_method_kaiming_uniform``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.megatron_utils.init_method_kaiming_uniform")


def init_method_normal(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``init_method_normal``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.megatron_utils.init_method_normal")


def make_attention_mask_3d(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``make_attention_mask_3d``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.megatron_utils.make_attention_mask_3d")


def make_inference_attention_mask_3d(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``make_inference_attention_mask_3d``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.megatron_utils.make_inference_attention_mask_3d")


def make_inference_history_mask_3d(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``make_inference_history_mask_3d``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.megatron_utils.make_inference_history_mask_3d")


def split_list(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``split_list``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.megatron_utils.split_list")
