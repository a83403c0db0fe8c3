"""The meta-package exposes NeMo's documented neural-type import paths as thin re-exports."""

import subprocess
import sys

import neural_types


def test_neural_types_paths_are_the_package_objects():
    import nemo.core
    import nemo.core.neural_types as nt
    from nemo.core.neural_types import axes, comparison, elements, neural_type

    assert nt.NeuralType is neural_types.NeuralType
    assert nt.ChannelType is neural_types.ChannelType
    assert nt.AxisKind is axes.AxisKind is neural_types.AxisKind
    assert comparison.NeuralTypeComparisonResult is neural_types.NeuralTypeComparisonResult
    assert elements.LogitsType is neural_types.LogitsType
    assert neural_type.NeuralType is neural_types.NeuralType
    assert nemo.core.typecheck is neural_types.typecheck
    assert nemo.core.Typing is neural_types.Typing


def test_importing_nemo_core_neural_types_does_not_import_torch():
    code = (
        "import sys, nemo, nemo.core, nemo.core.neural_types\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
