"""Safe YAML: the core schema only, so a config can never build Python objects."""

# ruff: noqa: PLC0415 - imports inside functions are deliberate: they keep `import nemo_archive` and
# the metadata commands light (torch, yaml, tarfile, zipfile load only when used).

from __future__ import annotations

from .errors import CorruptArchiveError, UnsafeContentError

TYPE_CHECKING = False  # `typing` is slow to import; mypy treats this name as True
if TYPE_CHECKING:
    from typing import Any


def load_config(text: str, path: object, member: str) -> dict[str, Any]:
    """Parse a config's YAML text into plain containers.

    Raises:
        UnsafeContentError: The YAML uses tags outside the core schema (``!!python/object`` and friends).
        CorruptArchiveError: The text is not YAML, or not a mapping at the top.
    """
    import yaml  # type: ignore[import-untyped, unused-ignore]

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.constructor.ConstructorError as exc:
        if "constructor for the tag" not in str(exc.problem):
            raise CorruptArchiveError(
                f"config YAML is invalid ({exc}); fix or re-save it.", path=path, member=member
            ) from exc
        raise UnsafeContentError(
            f"config uses a YAML tag that could build Python objects ({exc.problem}); such configs are "
            "refused. "
            "Remove the tag (plain mappings, lists and scalars only).",
            path=path,
            member=member,
        ) from exc
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise CorruptArchiveError(
            f"config is not valid YAML ({exc}); fix or re-save it.", path=path, member=member
        ) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise CorruptArchiveError(
            f"config must be a YAML mapping, got {type(data).__name__}; re-save the model.",
            path=path,
            member=member,
        )
    return data


def dump_config(config: Any) -> str:
    """Serialize plain containers (or an OmegaConf config) as YAML, keeping key order like OmegaConf does."""
    import yaml  # type: ignore[import-untyped, unused-ignore]

    if type(config).__module__.startswith("omegaconf"):
        from omegaconf import OmegaConf  # type: ignore[import-not-found, unused-ignore]

        return str(OmegaConf.to_yaml(config, resolve=True))
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return str(
        yaml.dump(config, Dumper=dumper, sort_keys=False, default_flow_style=False, allow_unicode=True)
    )
