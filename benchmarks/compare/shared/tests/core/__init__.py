"""See ``compare_models``: the dotted path starts with ``tests.core.`` so nemo_toolkit 3.0.0 restores it."""
