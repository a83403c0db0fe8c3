"""``nemo.core.classes.mixins.adapter_mixin_strategies``: NeMo's names, kept importable; nemo-core does not implement them.

Using any of them raises :class:`nemo._unported.NotPortedError` (see ``docs/migrating-from-nemo.md``).
"""

from __future__ import annotations

from nemo._unported import Unported

__all__ = [
    "AbstractAdapterStrategy",
    "ResidualAddAdapterStrategy",
    "ResidualAddAdapterStrategyConfig",
    "ReturnResultAdapterStrategy",
    "ReturnResultAdapterStrategyConfig",
]


class AbstractAdapterStrategy(Unported):
    """NeMo's ``AbstractAdapterStrategy``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.core.classes.mixins.adapter_mixin_strategies.AbstractAdapterStrategy"


class ResidualAddAdapterStrategy(Unported):
    """NeMo's ``ResidualAddAdapterStrategy``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.core.classes.mixins.adapter_mixin_strategies.ResidualAddAdapterStrategy"


class ResidualAddAdapterStrategyConfig(Unported):
    """NeMo's ``ResidualAddAdapterStrategyConfig``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.core.classes.mixins.adapter_mixin_strategies.ResidualAddAdapterStrategyConfig"


class ReturnResultAdapterStrategy(Unported):
    """NeMo's ``ReturnResultAdapterStrategy``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.core.classes.mixins.adapter_mixin_strategies.ReturnResultAdapterStrategy"


class ReturnResultAdapterStrategyConfig(Unported):
    """NeMo's ``ReturnResultAdapterStrategyConfig``; not implemented by nemo-core."""

    _nemo_qualname = "nemo.core.classes.mixins.adapter_mixin_strategies.ReturnResultAdapterStrategyConfig"
