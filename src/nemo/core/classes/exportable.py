"""``nemo.core.classes.exportable``: ``Exportable`` and ``ExportFormat``."""

from modelpt import Exportable, ExportFormat

__all__ = ["ExportFormat", "Exportable"]
