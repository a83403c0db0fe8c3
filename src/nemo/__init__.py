"""nemo-core: NeMo's documented import paths over the nemo-core packages.

Submodules are thin re-exports; importing ``nemo`` imports nothing heavy.
"""

__version__ = "0.1.0"
