# ruff: noqa: PLC0415 - imports inside functions are deliberate: they keep `import modelpt` light and load
# hydra and omegaconf only when a script actually runs.
"""``hydra_runner``: NeMo's decorator that runs a ``main(cfg)`` under Hydra with NeMo's defaults.

The command line is Hydra's own (``--config-path``/``-cp``, ``--config-name``/``-cn``, ``--config-dir``,
``--cfg``, ``--multirun``, overrides), parsed by Hydra's parser, so every form and order Hydra and NeMo accept
works: ``script.py --config-path=conf --config-name=x model.a=b``, ``script.py model.a=b --config-name x``;
overrides on both sides of a flag (``a=1 --config-name x b=2``, which NeMo refuses) work too.
NeMo's own overrides (``hydra.output_subdir=null``, ``hydra/job_logging=stdout``, ``hydra.run.dir=.``) are
appended after the user's, as NeMo does, because ``exp_manager`` owns the experiment layout.

With ``schema=SomeDataclass`` the dataclass is stored in Hydra's ConfigStore under the name of the config
that is selected (the decorator's ``config_name``, or ``--config-name`` from the command line), so Hydra
merges the YAML over it: every dataclass default is in ``cfg``, the YAML's values are checked against the
field types, keys the dataclass lacks are refused, and command-line overrides win over both.
"""

from __future__ import annotations

import functools
import os
import sys
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["hydra_runner"]

# What NeMo appends to every command line: no .hydra folder, log to stdout only, run in the current directory.
_NEMO_OVERRIDES = ("hydra.output_subdir=null", "hydra/job_logging=stdout", "hydra.run.dir=.")


def hydra_runner(
    config_path: str | None = ".", config_name: str | None = None, schema: Any | None = None
) -> Callable[[Callable[[Any], Any]], Callable[..., Any]]:
    """Decorate ``main(cfg)`` so that it runs under Hydra.

    Args:
        config_path: Folder of the YAML configs, relative to the script (Hydra's rule); ``--config-path`` on
            the command line replaces it.
        config_name: Config file name (without ``.yaml``); ``--config-name`` on the command line replaces it.
        schema: Optional dataclass the selected config is validated against and merged over (see the module
            docstring). Without a config name, the dataclass alone is the config.

    Returns:
        A decorator. The decorated function can also be called directly with a config (``main(cfg)``) to
        bypass Hydra, e.g. from tests.
    """

    def decorator(task_function: Callable[[Any], Any]) -> Callable[..., Any]:
        @functools.wraps(task_function)
        def wrapper(cfg_passthrough: Any = None) -> Any:
            if cfg_passthrough is not None:
                return task_function(cfg_passthrough)
            from hydra import version
            from hydra._internal.utils import _run_hydra, get_args_parser

            parser = get_args_parser()
            # Intermixed: overrides may come before, between and after the flags (Hydra's parse_args,
            # which NeMo uses, refuses overrides on both sides of a flag).
            args = parser.parse_intermixed_args()
            args.overrides = [*args.overrides, *_NEMO_OVERRIDES]
            name = config_name
            if schema is not None:
                name = _store_schema(schema, args.config_name or config_name)
                if args.config_name is not None:
                    args.config_name = name
            version.setbase(None)
            _run_hydra(
                args=args,
                args_parser=parser,
                task_function=task_function,
                config_path=config_path,
                config_name=name,
            )
            return None

        return wrapper

    return decorator


def _store_schema(schema: Any, name: str | None) -> str:
    """Store ``schema`` in Hydra's ConfigStore under the config name ``name``; return the name to compose.

    A config under the same name as a ConfigStore node is merged over it by Hydra (its schema matching).
    Hydra marks that matching deprecated and warns on every run; the warning is silenced here, since it is
    how NeMo's ``hydra_runner`` validates configs. As in NeMo, ``name`` must not carry a folder (the
    process exits with status 1 and says to use ``--config-path``). Without a name, the dataclass is stored
    as ``<Schema>_schema`` and composed alone.
    """
    from hydra.core.config_store import ConfigStore

    store = ConfigStore.instance()
    if name is None:
        name = f"{schema.__name__}_schema"
        store.store(name=name, node=schema)
        return name
    folder, base = os.path.split(name)
    if folder:
        # As in NeMo: Hydra would package a config from a sub-folder under that folder's name.
        sys.stderr.write(
            f"ERROR Cannot set config file path using `--config-name` when using schema (got {name!r}). "
            f"Please set path using `--config-path` and file name using `--config-name` separately, e.g. "
            f"--config-path=<path>/{folder} --config-name={base}.\n"
        )
        sys.exit(1)
    base = base.removesuffix(".yaml")
    store.store(name=base, node=schema)
    # Also under ``<name>_schema``, for configs that name their schema in their defaults list.
    store.store(name=f"{base}_schema", node=schema)
    warnings.filterwarnings(
        "ignore",
        message=r"(?s).*is validated against ConfigStore schema with the same name",
        category=UserWarning,
    )
    return name
