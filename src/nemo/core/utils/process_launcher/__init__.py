"""``nemo.core.utils.process_launcher``: NeMo's module of that name."""
