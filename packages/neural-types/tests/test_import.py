import subprocess
import sys

import neural_types


def test_import_is_torch_free_in_a_fresh_interpreter():
    code = (
        "import sys, neural_types\n"
        "heavy = {'torch', 'numpy', 'lightning', 'omegaconf', 'wrapt'} & {m.split('.')[0] for m in sys.modules}\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_submodules_are_importable():
    import importlib

    for name in ("axes", "elements", "comparison", "neural_type", "typecheck", "errors"):
        module = importlib.import_module(f"neural_types.{name}")
        assert module.__name__ == f"neural_types.{name}"
    from neural_types.typecheck import typecheck

    assert neural_types.typecheck is typecheck


def test_version():
    assert neural_types.__version__ == "0.1.0"


def test_public_names_resolve():
    for name in neural_types.__all__:
        assert getattr(neural_types, name) is not None
