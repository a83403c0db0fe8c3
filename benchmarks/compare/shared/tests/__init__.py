"""Model classes shared by nemo-core and nemo_toolkit runs (``tests.core.*``, a prefix both may restore)."""
