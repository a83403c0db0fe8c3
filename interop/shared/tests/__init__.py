"""Model classes both implementations restore (``tests.core.*`` is on nemo_toolkit 3.0.0's allow-list)."""
