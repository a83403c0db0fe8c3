"""``nemo.utils.formatters``: NeMo's module of that name."""
