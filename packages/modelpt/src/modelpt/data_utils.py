# ruff: noqa: PLC0415 - imports inside functions are deliberate: they keep `import modelpt` light and load
# torch, omegaconf, hydra, onnx and the siblings only when the feature that needs them is used.
"""Multiple validation / test dataloaders from one dataset config (NeMo's ``model_utils`` rules)."""

from __future__ import annotations

import copy
import logging
import os
from typing import Any

from modelpt.errors import ConfigError

__all__ = [
    "resolve_dataset_name_from_cfg",
    "parse_dataset_as_name",
    "resolve_validation_dataloaders",
    "resolve_test_dataloaders",
]

logger = logging.getLogger(__name__)

_DATASTORE_PREFIXES = ("ais://", "s3://", "msc://")


def _is_path(value: Any) -> bool:
    if isinstance(value, str):
        return value.startswith(_DATASTORE_PREFIXES) or os.path.exists(value)
    return False


def resolve_dataset_name_from_cfg(cfg: Any) -> str | None:
    """The key of ``cfg`` that holds the dataset path(s), or None.

    ``ds_item`` wins when present and non-null (a string naming another key returns that key's *value*, an
    upstream quirk kept as is); otherwise the first key whose value is an existing path, or a list of them.
    """
    if "ds_item" in cfg and cfg.get("ds_item") is not None:
        value = cfg.get("ds_item")
        if isinstance(value, str) and value in cfg:
            return str(cfg.get(value))
        return "ds_item"
    for key in cfg:
        value = cfg.get(key)
        if _is_path(value):
            return str(key)
        if isinstance(value, (list, tuple)) or type(value).__name__ == "ListConfig":
            items = list(value)
            if items and all(_is_path(v) for v in items):
                return str(key)
    return None


def parse_dataset_as_name(name: Any) -> str:
    """A log prefix from a dataset path: file stem, ``-`` → ``_``, ``manifest``/``dataset`` removed, ``_`` last.

    Raises:
        ConfigError: The result is empty.
    """
    text = str(name)
    if os.path.exists(text) or os.path.sep in text:
        text = os.path.splitext(os.path.basename(text))[0]
    text = text.replace("-", "_").replace("manifest", "").replace("dataset", "")
    if not text:
        raise ConfigError(f"dataset name derived from {name!r} is empty; set `name` in the dataset config")
    if not text.endswith("_"):
        text += "_"
    return text


def _resolve(model: Any, cfg: Any, kind: str) -> None:
    from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict

    is_val = kind == "validation"
    ds_field = "validation_ds" if is_val else "test_ds"
    idx_field = "val_dl_idx" if is_val else "test_dl_idx"
    setup = model.setup_validation_data if is_val else model.setup_test_data
    dl_attr = "_validation_dl" if is_val else "_test_dl"
    names_attr = "_validation_names" if is_val else "_test_names"

    cfg = copy.deepcopy(cfg)
    ds_cfg = cfg.get(ds_field) if ds_field in cfg else cfg
    ds_cfg = OmegaConf.create(ds_cfg) if isinstance(ds_cfg, dict) else ds_cfg
    with open_dict(ds_cfg):
        dl_idx = ds_cfg.pop(idx_field, 0)
    setattr(model, "_val_dl_idx" if is_val else "_test_dl_idx", dl_idx)
    ds_key = resolve_dataset_name_from_cfg(ds_cfg)
    if ds_key is None or (is_val and dl_idx < 0) or ds_key not in ds_cfg:
        setup(ds_cfg)
        return
    values = ds_cfg.get(ds_key)
    if isinstance(values, (list, tuple, ListConfig)):
        loaders = []
        nested = any(isinstance(v, (dict, DictConfig)) for v in values)
        for value in values:
            item_cfg = copy.deepcopy(ds_cfg)
            if isinstance(value, (dict, DictConfig)):
                item_cfg = OmegaConf.create(value)
            else:
                with open_dict(item_cfg):
                    item_cfg[ds_key] = value
            setup(item_cfg)
            loaders.append(getattr(model, dl_attr))
        setattr(model, dl_attr, loaders)
        if nested:
            names = [parse_dataset_as_name(v.get("name", f"{kind}_{i}")) for i, v in enumerate(values)]
        elif "name" in ds_cfg and ds_cfg.get("name") is not None:
            given = ds_cfg.get("name")
            if not isinstance(given, (list, tuple, ListConfig)) or len(given) != len(values):
                raise ConfigError(
                    f"{ds_field}.name must be a list with one name per dataset ({len(values)}); got {given!r}"
                )
            names = [parse_dataset_as_name(n) for n in given]
        else:
            names = [parse_dataset_as_name(v) for v in values]
        if len(set(names)) != len(names):
            logger.warning("dataloader names %s are not unique; their logs will overwrite each other", names)
        setattr(model, names_attr, names)
        return
    setup(ds_cfg)
    if "name" in ds_cfg and ds_cfg.get("name") is not None:
        name = ds_cfg.get("name")
        if not isinstance(name, str):
            raise ConfigError(f"{ds_field}.name must be a string for a single dataset; got {name!r}")
        setattr(model, names_attr, [parse_dataset_as_name(name)])
    else:
        setattr(model, names_attr, [parse_dataset_as_name(values)])


def resolve_validation_dataloaders(model: Any) -> None:
    """Set up one or several validation loaders from ``model.cfg.validation_ds`` and name them."""
    _resolve(model, model._cfg, "validation")


def resolve_test_dataloaders(model: Any) -> None:
    """Set up one or several test loaders from ``model.cfg.test_ds`` and name them."""
    _resolve(model, model._cfg, "test")
