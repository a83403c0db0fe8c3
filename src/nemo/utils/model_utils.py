"""``nemo.utils.model_utils``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import Unported, unported

__all__ = [
    "ArtifactItem",
    "ArtifactPathType",
    "check_lib_version",
    "ckpt_to_dir",
    "convert_model_config_to_dict_config",
    "detect_prefix",
    "inject_model_parallel_rank",
    "load_config",
    "maybe_update_config_version",
    "param_is_not_shared",
    "parse_dataset_as_name",
    "resolve_dataset_name_from_cfg",
    "resolve_subclass_pretrained_model_info",
    "resolve_test_dataloaders",
    "resolve_validation_dataloaders",
    "save_artifacts",
    "uninject_model_parallel_rank",
    "unique_names_check",
    "unwrap_model",
    "wrap_training_step",
]


class ArtifactItem(Unported):
    """NeMo's ``ArtifactItem``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.model_utils.ArtifactItem"


class ArtifactPathType(Unported):
    """NeMo's ``ArtifactPathType``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.model_utils.ArtifactPathType"


def check_lib_version(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``check_lib_version``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.model_utils.check_lib_version")


def ckpt_to_dir(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``ckpt_to_dir``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.model_utils.ckpt_to_dir")


def convert_model_config_to_dict_config(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``convert_model_config_to_dict_config``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.model_utils.convert_model_config_to_dict_config")


def detect_prefix(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``detect_prefix``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.model_utils.detect_prefix")


def inject_model_parallel_rank(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``inject_model_parallel_rank``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.model_utils.inject_model_parallel_rank")


def load_config(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``load_config``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.model_utils.load_config")


def maybe_update_config_version(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``maybe_update_config_version``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.model_utils.maybe_update_config_version")


def param_is_not_shared(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``param_is_not_shared``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.model_utils.param_is_not_shared")


def parse_dataset_as_name(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``parse_dataset_as_name``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.model_utils.parse_dataset_as_name")


def resolve_dataset_name_from_cfg(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``resolve_dataset_name_from_cfg``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.model_utils.resolve_dataset_name_from_cfg")


def resolve_subclass_pretrained_model_info(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``resolve_subclass_pretrained_model_info``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.model_utils.resolve_subclass_pretrained_model_info")


def resolve_test_dataloaders(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``resolve_test_dataloaders``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.model_utils.resolve_test_dataloaders")


def resolve_validation_dataloaders(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``resolve_validation_dataloaders``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.model_utils.resolve_validation_dataloaders")


def save_artifacts(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``save_artifacts``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.model_utils.save_artifacts")


def uninject_model_parallel_rank(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``uninject_model_parallel_rank``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.model_utils.uninject_model_parallel_rank")


def unique_names_check(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``unique_names_check``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.model_utils.unique_names_check")


def unwrap_model(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``unwrap_model``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.model_utils.unwrap_model")


def wrap_training_step(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``wrap_training_step``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.model_utils.wrap_training_step")
