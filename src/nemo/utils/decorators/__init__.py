"""``nemo.utils.decorators``: ``deprecated``, ``experimental`` and ``add_port_docs``."""

from nemo.utils.decorators.deprecated import deprecated
from nemo.utils.decorators.experimental import experimental
from nemo.utils.decorators.port_docs import add_port_docs

__all__ = ["add_port_docs", "deprecated", "experimental"]
