"""``nemo.utils``: experiment management and application state."""
