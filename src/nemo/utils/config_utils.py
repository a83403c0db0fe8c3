"""``nemo.utils.config_utils``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from typing import Any

from nemo._unported import unported

__all__ = ["assert_dataclass_signature_match", "update_model_config"]


def assert_dataclass_signature_match(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``assert_dataclass_signature_match``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.config_utils.assert_dataclass_signature_match")


def update_model_config(*args: Any, **kwargs: Any) -> Any:
    """NeMo's ``update_model_config``; not implemented by nemo-core.

    Raises:
        NotPortedError: Always.
    """
    raise unported("nemo.utils.config_utils.update_model_config")
