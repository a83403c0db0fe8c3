"""``nemo.core.connectors``: save/restore connectors."""
