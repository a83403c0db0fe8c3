"""Typing's protected hooks with NeMo's signatures, ABC behaviour and ``typecheck.wrapped_call``."""

from __future__ import annotations

import abc
import inspect

import pytest

from neural_types import ChannelType, LogitsType, NeuralType, TypecheckMetadata, Typing, typecheck
from neural_types import elements as E

BD = NeuralType(("B", "D"), ChannelType())
BD_OPT = NeuralType(("B", "D"), ChannelType(), optional=True)


class Arr:
    def __init__(self, *shape):
        self.shape = shape
        self.ndim = len(shape)


class Plain(Typing):
    @property
    def input_types(self):
        return {"x": BD, "xs": [BD_OPT]}

    @property
    def output_types(self):
        return {"y": BD, "ys": [BD_OPT]}

    @typecheck()
    def forward(self, x, xs=None):
        return x, xs or []


def test_typing_and_element_types_are_abcs():
    assert isinstance(Typing, abc.ABCMeta)

    class Abstract(Typing):
        @abc.abstractmethod
        def forward(self): ...

    with pytest.raises(TypeError, match="abstract"):
        Abstract()


def test_protected_hooks_have_nemo_signatures():
    params = list(inspect.signature(Typing._validate_input_types).parameters)
    assert params == ["self", "input_types", "ignore_collections", "kwargs"]
    params = list(inspect.signature(Typing._attach_and_validate_output_types).parameters)
    assert params == ["self", "out_objects", "ignore_collections", "output_types"]
    for hook in ("_Typing__check_neural_type", "_Typing__attach_neural_type"):
        assert list(inspect.signature(getattr(Typing, hook)).parameters) == [
            "self", "obj", "metadata", "depth", "name"
        ]  # fmt: skip


def test_default_hooks_check_and_attach_when_called_directly():
    module = Plain()
    module._validate_input_types(input_types=module.input_types, x=Arr(2, 3), xs=[Arr(2, 3)])
    with pytest.raises(TypeError, match="Number of input arguments"):
        module._validate_input_types(input_types=module.input_types)
    with pytest.raises(TypeError, match="Nested depth"):
        module._validate_input_types(input_types=module.input_types, x=Arr(2, 3), xs=[[Arr(2, 3)]])
    with pytest.raises(TypeError, match="shape mismatch"):
        module._validate_input_types(input_types=module.input_types, x=Arr(2, 3), xs=[Arr(2)])
    bad = Arr(2, 3)
    bad.neural_type = NeuralType(("B", "D"), LogitsType())
    with pytest.raises(TypeError, match="INCOMPATIBLE"):
        module._validate_input_types(input_types=module.input_types, x=bad)
    out = (Arr(2, 3), [Arr(2, 3), Arr(2, 3)])
    module._attach_and_validate_output_types(out, output_types=module.output_types)
    assert out[0].neural_type is BD
    assert out[1][1].neural_type is BD_OPT
    module._attach_and_validate_output_types(out, False, None)  # untyped: nothing to do


def test_mangled_helpers_walk_nesting():
    module = Plain()
    meta = TypecheckMetadata({"xs": [[BD]]}, ignore_collections=False)
    module._Typing__check_neural_type([Arr(1, 2)], meta, depth=1, name="xs")
    with pytest.raises(TypeError, match="Nested depth"):
        module._Typing__check_neural_type(Arr(1, 2), meta, depth=1, name="xs")
    leaf = Arr(1, 2)
    module._Typing__attach_neural_type([leaf], meta, depth=1, name="xs")
    assert leaf.neural_type is BD


class Recording(Plain):
    """A subclass customising the checks the way NeMo's collections do: through the protected hooks."""

    def __init__(self):
        self.calls = []

    def _validate_input_types(self, input_types=None, ignore_collections=False, **kwargs):
        self.calls.append(("in", sorted(kwargs), ignore_collections))
        super()._validate_input_types(input_types, ignore_collections, **kwargs)

    def _Typing__attach_neural_type(self, obj, metadata, depth, name=None):
        self.calls.append(("attach", name, depth))
        super()._Typing__attach_neural_type(obj, metadata, depth, name)


def test_overridden_hooks_are_called_by_the_decorator():
    module = Recording()
    x, xs = module.forward(x=Arr(2, 3), xs=[Arr(2, 3)])
    # the nested element goes through the overridden hook too (NeMo recurses through self.__attach_neural_type)
    assert module.calls == [
        ("in", ["x", "xs"], False), ("attach", "y", 0), ("attach", "ys", 0), ("attach", "ys", 1)
    ]  # fmt: skip
    assert x.neural_type is BD
    assert xs[0].neural_type is BD_OPT
    with pytest.raises(TypeError, match="kwargs only"):
        module.forward(Arr(2, 3))
    with pytest.raises(TypeError, match="shape mismatch"):
        module.forward(x=Arr(2))
    with typecheck.disable_checks():
        module.calls.clear()
        module.forward(x=Arr(2))
        assert module.calls == []


def test_wrapped_call_and_unwrapped_call():
    def method(self, x):
        return x

    checker = typecheck()
    assert checker.unwrapped_call(method) is method
    wrapped = checker.wrapped_call(method)
    assert wrapped is not method
    assert wrapped.__wrapped__ is method
    try:
        typecheck.enable_wrapping(False)
        assert typecheck()(method) is method
        assert typecheck().wrapped_call(method) is not method
    finally:
        typecheck.enable_wrapping(True)


def test_probability_distribution_samples_type_pairs():
    parent, child = E.ProbabilityDistributionSamplesType(), E.NormalDistributionSamplesType()
    base = NeuralType(("B", "T"), parent)
    assert base.compare(NeuralType(("B", "T"), child)).name == "GREATER"
    assert NeuralType(("B", "T"), child).compare(base).name == "LESS"
    assert base.compare(NeuralType(("B", "T"), E.ProbabilityDistributionSamplesType())).name == "SAME"
    assert base.compare(NeuralType(("B", "T"), E.NormalDistributionMeanType())).name == "INCOMPATIBLE"
    assert NeuralType(("B", "T"), E.ElementType()).compare(base).name == "GREATER"
    assert base.compare(NeuralType(("T", "B"), parent)).name == "TRANSPOSE_SAME"
    assert "ProbabilityDistributionSamplesType" not in E.__all__  # as in NeMo: importable, not starred
