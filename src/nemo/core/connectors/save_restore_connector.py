"""``nemo.core.connectors.save_restore_connector``: ``SaveRestoreConnector``."""

from modelpt import SaveRestoreConnector

__all__ = ["SaveRestoreConnector"]
