"""Config YAML, read the way NeMo (OmegaConf) reads it, with limits that make hostile configs fail fast.

A config is untrusted text. PyYAML's own composer is recursive (libyaml's C composer crashes the process on
100 KB of ``[[[[...``) and expands nothing but keeps aliases as shared references, which later walks and
``OmegaConf.create`` turn into exponential work (the "billion laughs"). So the node graph is built here, from
the parser's event stream, without recursion, and every node is counted as often as it would appear once
the aliases are expanded (SPEC.md §5.1):

- ``max_depth``: nesting depth, through aliases too (a chain of aliases can nest deeper than the text);
- ``max_nodes``: nodes after alias expansion (a merge key ``<<: *a`` counts ``a`` in full);
- ``max_bytes``: size of the config text.

Scalars are resolved with OmegaConf's rules (``omegaconf._utils.get_yaml_loader``): YAML 1.1 core schema,
plus floats without a dot (``1e-3``), minus timestamps (``2024-01-01`` stays a string); duplicate string
keys are an error. ``${...}`` interpolations are plain strings here and are never resolved.
"""

# ruff: noqa: PLC0415 - imports inside functions are deliberate: they keep `import nemo_archive` and
# the metadata commands light (torch, yaml, tarfile, zipfile load only when used).

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import CorruptArchiveError, SizeLimitError, UnsafeContentError

TYPE_CHECKING = False  # `typing` is slow to import; mypy treats this name as True
if TYPE_CHECKING:
    from typing import Any

__all__ = ["ConfigLimits", "DEFAULT_LIMITS", "load_config", "dump_config"]


@dataclass(frozen=True)
class ConfigLimits:
    """Bounds on a config read from an archive (SPEC.md §5.1); raise them only for files you trust.

    Attributes:
        max_bytes: Largest config text, in bytes (UTF-8).
        max_depth: Deepest nesting of lists and mappings, counted through aliases.
        max_nodes: Most scalars, lists and mappings once every alias is expanded.
    """

    max_bytes: int = 16 * 1024 * 1024
    max_depth: int = 64
    max_nodes: int = 200_000


DEFAULT_LIMITS = ConfigLimits()

# OmegaConf adds this float form (exponent without a dot, e.g. 1e-3) to YAML 1.1's; same text, same order.
_OMEGACONF_FLOAT = re.compile(
    r"""^(?:
     [-+]?[0-9]+(?:_[0-9]+)*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9]+(?:_[0-9]+)*(?:[eE][-+]?[0-9]+)
    |\.[0-9]+(?:_[0-9]+)*(?:[eE][-+][0-9]+)?
    |[-+]?[0-9]+(?:_[0-9]+)*(?::[0-5]?[0-9])+\.[0-9_]*
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_STR = "tag:yaml.org,2002:str"
_PATH_TAGS = ("Path", "PosixPath", "WindowsPath")
_classes: tuple[Any, Any] | None = None


def _yaml_classes() -> tuple[Any, Any]:
    """Build (once) the resolver and constructor classes; yaml is imported only when a config is read."""
    global _classes  # noqa: PLW0603 - a lazily built pair of classes
    if _classes is not None:
        return _classes
    import pathlib

    import yaml  # type: ignore[import-untyped, unused-ignore]

    class Resolver(yaml.resolver.Resolver):  # type: ignore[misc, unused-ignore]
        """YAML 1.1 implicit types as OmegaConf resolves them."""

    Resolver.add_implicit_resolver("tag:yaml.org,2002:float", _OMEGACONF_FLOAT, list("-+0123456789."))
    Resolver.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP]
        for first, resolvers in Resolver.yaml_implicit_resolvers.items()
    }

    class Constructor(yaml.constructor.SafeConstructor):  # type: ignore[misc, unused-ignore]
        """The safe constructor, refusing duplicate string keys as OmegaConf does."""

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[str] = set()
            for key_node, _ in node.value:
                if key_node.tag != _STR:
                    continue
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"found duplicate key {key_node.value}",
                        key_node.start_mark,
                    )
                seen.add(key_node.value)
            return super().construct_mapping(node, deep=deep)

    def construct_path(kind: str) -> Any:
        def construct(loader: Any, node: Any) -> Any:
            parts = loader.construct_sequence(node)
            if not all(isinstance(p, str) for p in parts):
                raise yaml.constructor.ConstructorError(
                    None, None, f"a {kind} needs string parts", node.start_mark
                )
            return getattr(pathlib, kind)(*parts)

        return construct

    # OmegaConf.save writes pathlib values with these tags; they build a path from strings, nothing else.
    for kind in _PATH_TAGS:
        Constructor.add_constructor(
            f"tag:yaml.org,2002:python/object/apply:pathlib.{kind}", construct_path(kind)
        )
    _classes = (Resolver, Constructor)
    return _classes


class _Frame:
    """A list or mapping being composed: its node, the children so far, their depth and expanded size."""

    __slots__ = ("anchor", "height", "items", "node", "size")

    def __init__(self, node: Any, anchor: str | None) -> None:
        self.node = node
        self.anchor = anchor
        self.items: list[Any] = []
        self.height = 0
        self.size = 1


class _Composer:
    """Builds PyYAML nodes from parser events, iteratively, enforcing :class:`ConfigLimits`."""

    def __init__(self, limits: ConfigLimits, path: object, member: str) -> None:
        self.limits = limits
        self.path = path
        self.member = member
        self.anchors: dict[str, tuple[Any, int, int]] = {}
        self.stack: list[_Frame] = []
        self.root: Any = None

    def fail(self, what: str, mark: Any) -> SizeLimitError:
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        return SizeLimitError(
            f"config {what}{where}; a genuine NeMo config is far smaller, so the config is refused. If you "
            "trust the file, raise the limit (nemo_archive.ConfigLimits, Archive(config_limits=...)).",
            path=self.path,
            member=self.member,
        )

    def attach(self, node: Any, height: int, size: int, mark: Any) -> None:
        """Add a finished node (or an alias of one) to the collection being built."""
        limits = self.limits
        if len(self.stack) + height > limits.max_depth:
            raise self.fail(f"nests deeper than {limits.max_depth} levels (aliases included)", mark)
        if not self.stack:
            if size > limits.max_nodes:
                raise self.fail(f"expands to more than {limits.max_nodes} nodes", mark)
            self.root = node
            return
        frame = self.stack[-1]
        frame.items.append(node)
        frame.height = max(frame.height, height)
        frame.size += size
        if frame.size > limits.max_nodes:
            raise self.fail(
                f"expands to more than {limits.max_nodes} nodes (aliases and merges counted)", mark
            )

    def alias(self, event: Any) -> None:
        """Attach the node an alias names (its depth and expanded size count again)."""
        entry = self.anchors.get(event.anchor)
        if entry is None:
            import yaml  # type: ignore[import-untyped, unused-ignore]

            raise yaml.composer.ComposerError(
                None, None, f"found undefined (or self-referencing) alias {event.anchor!r}", event.start_mark
            )
        self.attach(*entry, event.start_mark)

    def start(self, node: Any, event: Any) -> None:
        """Open a list or mapping."""
        if len(self.stack) + 1 > self.limits.max_depth:
            raise self.fail(f"nests deeper than {self.limits.max_depth} levels", event.start_mark)
        self.stack.append(_Frame(node, event.anchor))

    def end(self, event: Any, pairs: bool) -> None:
        """Close the innermost list or mapping and attach it to its parent."""
        frame = self.stack.pop()
        node = frame.node
        node.end_mark = event.end_mark
        items = frame.items
        node.value = list(zip(items[::2], items[1::2], strict=True)) if pairs else items
        entry = (node, frame.height + 1, frame.size)
        self.anchor(frame.anchor, entry, node.start_mark)
        self.attach(*entry, node.start_mark)

    def anchor(self, anchor: str | None, entry: tuple[Any, int, int], mark: Any) -> None:
        if anchor is None:
            return
        if anchor in self.anchors:
            import yaml  # type: ignore[import-untyped, unused-ignore]

            raise yaml.composer.ComposerError(None, None, f"found duplicate anchor {anchor!r}", mark)
        self.anchors[anchor] = entry


def _compose(text: str, limits: ConfigLimits, path: object, member: str) -> Any:
    """Return the root node of the single document in ``text`` (None for an empty stream)."""
    import yaml  # type: ignore[import-untyped, unused-ignore]
    from yaml import events, nodes

    resolver_cls, _ = _yaml_classes()
    resolver = resolver_cls()
    parser = getattr(yaml, "CBaseLoader", yaml.BaseLoader)(text)
    composer = _Composer(limits, path, member)

    def tag_of(event: Any, node_cls: Any, value: Any) -> str:
        tag = event.tag
        return str(
            tag if tag is not None and tag != "!" else resolver.resolve(node_cls, value, event.implicit)
        )

    documents = 0
    try:
        while True:
            event = parser.get_event()
            kind = type(event)
            if kind is events.ScalarEvent:
                node = nodes.ScalarNode(
                    tag_of(event, nodes.ScalarNode, event.value),
                    event.value,
                    event.start_mark,
                    event.end_mark,
                    style=event.style,
                )
                composer.anchor(event.anchor, (node, 1, 1), event.start_mark)
                composer.attach(node, 1, 1, event.start_mark)
            elif kind is events.AliasEvent:
                composer.alias(event)
            elif kind is events.SequenceStartEvent or kind is events.MappingStartEvent:
                node_cls = nodes.SequenceNode if kind is events.SequenceStartEvent else nodes.MappingNode
                composer.start(
                    node_cls(
                        tag_of(event, node_cls, None), [], event.start_mark, None, flow_style=event.flow_style
                    ),
                    event,
                )
            elif kind is events.SequenceEndEvent or kind is events.MappingEndEvent:
                composer.end(event, pairs=kind is events.MappingEndEvent)
            elif kind is events.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise yaml.composer.ComposerError(
                        "expected a single document in the stream",
                        None,
                        "but found another document",
                        event.start_mark,
                    )
            elif kind is events.StreamEndEvent:
                return composer.root
    finally:
        dispose = getattr(parser, "dispose", None)
        if dispose is not None:
            dispose()


def load_config(text: str, path: object, member: str, limits: ConfigLimits | None = None) -> dict[str, Any]:
    """Parse a config's YAML text into plain containers, as OmegaConf's loader would.

    Args:
        text: The YAML text.
        path: The archive (for error messages).
        member: The member (for error messages).
        limits: Bounds on size, depth and expanded node count (default :data:`DEFAULT_LIMITS`).

    Raises:
        UnsafeContentError: The YAML uses tags outside the core schema (``!!python/object`` and friends).
        SizeLimitError: The config is larger, deeper or expands to more nodes than ``limits`` allow.
        CorruptArchiveError: The text is not YAML, has duplicate keys, or is not a mapping at the top.
    """
    import yaml  # type: ignore[import-untyped, unused-ignore]

    limits = limits or DEFAULT_LIMITS
    if len(text) > limits.max_bytes or len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes:
        raise SizeLimitError(
            f"config is larger than {limits.max_bytes} bytes; a genuine NeMo config is far smaller. If you "
            "trust the file, raise ConfigLimits.max_bytes.",
            path=path,
            member=member,
        )
    _, constructor_cls = _yaml_classes()
    try:
        root = _compose(text, limits, path, member)
        data = None if root is None else constructor_cls().construct_document(root)
    except yaml.constructor.ConstructorError as exc:
        if "constructor for the tag" not in str(exc.problem):
            raise CorruptArchiveError(
                f"config YAML is invalid ({exc}); fix or re-save it.", path=path, member=member
            ) from exc
        raise UnsafeContentError(
            f"config uses a YAML tag that could build Python objects ({exc.problem}); such configs are "
            "refused. Remove the tag (plain mappings, lists and scalars only).",
            path=path,
            member=member,
        ) from exc
    except (yaml.YAMLError, RecursionError, ValueError, TypeError, OverflowError) as exc:
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
    """Serialize plain containers (or an OmegaConf config) as YAML, keeping key order like OmegaConf does.

    OmegaConf interpolations (``${...}``) are written as they are, never resolved: resolving could write an
    environment variable (``${oc.env:SECRET}``) of the saving machine into the file.
    """
    import yaml  # type: ignore[import-untyped, unused-ignore]

    if type(config).__module__.startswith("omegaconf"):
        from omegaconf import OmegaConf  # type: ignore[import-not-found, unused-ignore]

        return str(OmegaConf.to_yaml(config, resolve=False))
    return str(
        yaml.dump(config, Dumper=_dumper(), sort_keys=False, default_flow_style=False, allow_unicode=True)
    )


_dumper_cls: Any = None


def _dumper() -> Any:
    """A safe dumper that quotes every string OmegaConf's loader would read back as a float (``'1e-3'``)."""
    global _dumper_cls  # noqa: PLW0603 - built once, on first use
    if _dumper_cls is None:
        import yaml  # type: ignore[import-untyped, unused-ignore]

        class Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
            """Quotes by YAML 1.1 and OmegaConf rules together, so both read a string back as a string."""

        Dumper.add_implicit_resolver("tag:yaml.org,2002:float", _OMEGACONF_FLOAT, list("-+0123456789."))
        _dumper_cls = Dumper
    return _dumper_cls
