"""Axis kinds and axis types: the shape vocabulary of neural types.

An axis is described by its *kind* (batch, time, channel, ...), an optional fixed *size* and whether it is a
Python list rather than a tensor dimension. Short labels such as ``"B"`` or ``"T"`` are converted with
:meth:`AxisKind.from_str`, so declarations can be written as ``("B", "T", "D")``.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["AxisKind", "AxisKindAbstract", "AxisType"]


class AxisKindAbstract(Enum):
    """Base of every axis-kind enumeration; subclass it to declare your own axis kinds."""


# Accepted short labels (lower-cased, stripped) for each kind. ``dimension`` is accepted too: NeMo refuses it,
# which contradicts ``str(AxisKind.Dimension)`` (see decisions.md).
_LABELS: dict[str, str] = {
    "b": "Batch",
    "n": "Batch",
    "batch": "Batch",
    "t": "Time",
    "time": "Time",
    "d": "Dimension",
    "c": "Dimension",
    "channel": "Dimension",
    "dimension": "Dimension",
    "w": "Width",
    "width": "Width",
    "h": "Height",
    "height": "Height",
    "any": "Any",
    "seq": "Sequence",
    "sequence": "Sequence",
    "flowgroup": "FlowGroup",
    "s": "Singleton",
    "singleton": "Singleton",
}


class AxisKind(AxisKindAbstract):
    """The semantic kind of a tensor axis.

    ``AxisKind.Channel`` is an alias of ``AxisKind.Dimension``.
    """

    Batch = 0
    Time = 1
    Dimension = 2
    Channel = 2
    Width = 3
    Height = 4
    Any = 5
    Sequence = 6
    FlowGroup = 7
    Singleton = 8

    def __repr__(self) -> str:
        return self.name.lower()

    def __str__(self) -> str:
        return self.name.lower()

    def t_with_string(self, text: str) -> bool:
        """Tell whether ``text`` has the form ``t_<kind>_`` for this kind (e.g. ``"t_time_"`` for Time)."""
        return text.startswith("t_") and text.endswith("_") and text[2:-1] == str(self)

    @staticmethod
    def from_str(label: str) -> AxisKind:
        """Convert a short label such as ``"B"``, ``"T"``, ``"t_audio"`` or ``"D"`` to an :class:`AxisKind`.

        Args:
            label: An axis label; case and surrounding whitespace are ignored.

        Returns:
            The matching axis kind.

        Raises:
            ValueError: If the label names no kind. The message lists the accepted labels.
        """
        key = str(label).strip().lower()
        name = _LABELS.get(key)
        if name is not None:
            return AxisKind[name]
        if len(key) > 2 and key.startswith("t_"):
            return AxisKind.Time
        accepted = ", ".join(sorted(_LABELS))
        raise ValueError(
            f"Can't create AxisKind from {label!r}: expected one of {accepted}, or a time label 't_<name>'."
        )


class AxisType:
    """One axis of a neural type: its kind, an optional fixed size, and whether it is a list dimension.

    Args:
        kind: The axis kind.
        size: A fixed size the axis must have, or None for any size.
        is_list: True when the axis is a Python list rather than a tensor dimension; such an axis has no size.

    Raises:
        ValueError: If ``size`` is given together with ``is_list=True``.
    """

    __slots__ = ("is_list", "kind", "size")

    def __init__(self, kind: AxisKindAbstract, size: int | None = None, is_list: bool = False) -> None:
        if size is not None and is_list:
            raise ValueError(
                f"AxisType({kind}, size={size}, is_list=True): list axes cannot have a size; "
                "drop `size` or set `is_list=False`."
            )
        self.kind = kind
        self.size = size
        self.is_list = is_list

    def __repr__(self) -> str:
        text = str(self.kind) if self.size is None else f"{self.kind}:{self.size}"
        return text + "_listdim" if self.is_list else text
