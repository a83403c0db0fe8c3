"""See ``interop_model``."""
