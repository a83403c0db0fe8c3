# ruff: noqa: PLC0415 - imports inside functions are deliberate: they keep `import modelpt` light and load
# torch, omegaconf, hydra, onnx and the siblings only when the feature that needs them is used.
"""``hydra_runner``: NeMo's decorator that runs a ``main(cfg)`` under Hydra with NeMo's defaults.

Hydra's own output folder and log-file handling are switched off (``hydra.run.dir=.``,
``hydra.output_subdir=null``, ``hydra/job_logging=stdout``), as NeMo does, because ``exp_manager`` owns the
experiment layout.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["hydra_runner"]


def hydra_runner(
    config_path: str | None = ".", config_name: str | None = None, schema: Any | None = None
) -> Callable[[Callable[[Any], Any]], Callable[..., Any]]:
    """Decorate ``main(cfg)`` so that it runs under Hydra.

    Args:
        config_path: Folder of the YAML configs, relative to the script (Hydra's rule).
        config_name: Config file name (without ``.yaml``).
        schema: Optional dataclass; registered in Hydra's ConfigStore under ``config_name`` so the YAML is
            validated against it (YAML values override the dataclass defaults).

    Returns:
        A decorator. The decorated function can also be called directly with a config (``main(cfg)``) to
        bypass Hydra, e.g. from tests.
    """

    def decorator(task_function: Callable[[Any], Any]) -> Callable[..., Any]:
        @functools.wraps(task_function)
        def wrapper(cfg_passthrough: Any = None) -> Any:
            if cfg_passthrough is not None:
                return task_function(cfg_passthrough)
            import hydra
            from hydra.core.config_store import ConfigStore

            overrides = [
                "hydra.output_subdir=null",
                "hydra/job_logging=stdout",
                "hydra.run.dir=.",
            ]
            argv = sys.argv[1:]
            sys.argv = [sys.argv[0], *overrides, *argv]
            name = config_name
            if schema is not None:
                store = ConfigStore.instance()
                if config_name is None:
                    name = f"{schema.__name__}_schema"
                    store.store(name=name, node=schema)
                else:
                    # The YAML named config_name is merged over the schema through Hydra's defaults list.
                    store.store(name=f"{config_name}_schema", node=schema)
            main = hydra.main(config_path=config_path, config_name=name, version_base=None)(task_function)
            return main()

        return wrapper

    return decorator
