"""``nemo.utils.cloud``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import Unported, unported

__all__ = ["SageMakerDDPStrategy", "initialize_sagemaker", "maybe_download_from_cloud"]


class SageMakerDDPStrategy(Unported):
    """NeMo's ``SageMakerDDPStrategy``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.utils.cloud.SageMakerDDPStrategy"


def initialize_sagemaker(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``initialize_sagemaker``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.cloud.initialize_sagemaker")


def maybe_download_from_cloud(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``maybe_download_from_cloud``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.cloud.maybe_download_from_cloud")
