"""Every test of test_typecheck.py again, with every method wrapped by the generic ``*args, **kwargs`` variant.

Plain methods such as ``def forward(self, x, lengths=None)`` get the keyword variant of the wrapper; this
module loads a second copy of test_typecheck.py with that variant switched off, at import (the module-level
classes) and while each test runs (classes defined inside tests), so both variants face the same scenarios.
"""

import importlib.util
from pathlib import Path

import pytest

from neural_types import _wrapper, typecheck


def _load_generic_copy():
    path = Path(__file__).with_name("test_typecheck.py")
    spec = importlib.util.spec_from_file_location("_test_typecheck_generic_copy", path)
    module = importlib.util.module_from_spec(spec)
    _wrapper.KEYWORD_VARIANT = False
    try:
        spec.loader.exec_module(module)
    finally:
        _wrapper.KEYWORD_VARIANT = True
    return module


_copy = _load_generic_copy()
globals().update({name: value for name, value in vars(_copy).items() if name.startswith("test_")})
_switches_restored = _copy._switches_restored


@pytest.fixture(autouse=True)
def _generic_variant(monkeypatch):
    monkeypatch.setattr(_wrapper, "KEYWORD_VARIANT", False)


def test_the_copy_uses_the_generic_variant(monkeypatch):
    # the generic variant takes (*args, **kwargs) only; the keyword one also a keyword parameter per argument
    assert _copy.Module.forward.__code__.co_kwonlyargcount == 0
    monkeypatch.setattr(_wrapper, "KEYWORD_VARIANT", True)
    assert typecheck()(_copy.Module.forward.__wrapped__).__code__.co_kwonlyargcount == 2
