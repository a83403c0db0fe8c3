"""``nemo.core.utils``: NeMo's module of that name."""
