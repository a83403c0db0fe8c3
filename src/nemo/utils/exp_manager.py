"""``nemo.utils.exp_manager``: ``exp_manager``, its configuration classes and callbacks, loaded on first use.

``import nemo.utils.exp_manager`` stays light: the callbacks (which need Lightning) load when first touched.
"""

import expmanager as _expmanager
from nemo._lazy import attach

_EXPORTS = dict.fromkeys((name for name in _expmanager.__all__ if name != "__version__"), "expmanager")
__all__ = list(_EXPORTS)
__getattr__, __dir__ = attach(__name__, _EXPORTS)
