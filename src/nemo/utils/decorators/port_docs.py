"""``nemo.utils.decorators.port_docs``: ``add_port_docs``, append a types property's ports to its docstring."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

__all__ = ["add_port_docs"]


def add_port_docs(wrapped: Callable[..., Any] | None = None, instance: Any = None, value: str = "") -> Any:
    """Decorate an ``input_types``/``output_types`` method so its docstring lists the declared ports.

    The port list is computed from the method's result on an instance the first time the doc is read; on
    the function itself the docstring gets ``value`` appended.
    """
    if wrapped is None:
        return functools.partial(add_port_docs, instance=instance, value=value)

    @functools.wraps(wrapped)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return wrapped(*args, **kwargs)

    doc = wrapper.__doc__ or ""
    if value:
        doc = f"{doc}\n\n{value}" if doc else value
    wrapper.__doc__ = doc
    return wrapper
