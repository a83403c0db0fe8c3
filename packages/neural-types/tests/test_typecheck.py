import inspect
import sys
import types

import numpy as np
import pytest

from neural_types import (
    AxisKind,
    AxisType,
    ChannelType,
    LengthsType,
    LogitsType,
    NeuralType,
    SpectrogramType,
    TypecheckMetadata,
    Typing,
    is_semantic_typecheck_enabled,
    is_typecheck_enabled,
    typecheck,
)

CHANNEL_BD = NeuralType(("B", "D"), ChannelType())
LOGITS_BD = NeuralType(("B", "D"), LogitsType())


class Shaped:
    """Anything with a .shape is checked, without numpy or torch."""

    def __init__(self, *shape):
        self.shape = shape

    def __mul__(self, factor):
        return Shaped(*self.shape)


class Module(Typing):
    """A typed module: one mandatory input, one optional input, one output."""

    @property
    def input_types(self):
        return {
            "x": NeuralType(("B", "D"), ChannelType()),
            "lengths": NeuralType(("B",), LengthsType(), optional=True),
        }

    @property
    def output_types(self):
        return {"logits": NeuralType(("B", "D"), LogitsType())}

    @typecheck()
    def forward(self, x, lengths=None):
        """Double the input."""
        return x * 2


@pytest.fixture(autouse=True)
def _switches_restored():
    yield
    typecheck.set_typecheck_enabled(True)
    typecheck.set_semantic_check_enabled(True)


def test_outputs_are_tagged_and_returned_unchanged():
    x = np.ones((2, 3))
    out = Module().forward(x=x)
    assert np.array_equal(out, x * 2)
    # numpy arrays cannot carry attributes: tagging is skipped silently
    assert not hasattr(out, "neural_type")
    shaped_out = Module().forward(x=Shaped(2, 3))
    assert shaped_out.neural_type.compare(LOGITS_BD).name == "SAME"


class Echo(Typing):
    def __init__(self, inputs=None, outputs=None):
        self._inputs = inputs
        self._outputs = outputs

    @property
    def input_types(self):
        return self._inputs

    @property
    def output_types(self):
        return self._outputs

    @typecheck()
    def __call__(self, **kwargs):
        return kwargs.get("result", kwargs.get("x"))


def test_output_tagging_on_objects():
    out = Echo({"x": CHANNEL_BD}, {"y": LOGITS_BD})(x=Shaped(2, 3))
    assert out.neural_type is LOGITS_BD


def test_inputs_are_never_retagged():
    x = Shaped(2, 3)
    x.neural_type = CHANNEL_BD
    Echo({"x": CHANNEL_BD}, None)(x=x)
    assert x.neural_type is CHANNEL_BD


def test_positional_arguments_are_refused_for_typed_inputs():
    with pytest.raises(TypeError, match="All arguments must be passed by kwargs only") as info:
        Module().forward(np.ones((2, 3)))
    assert "forward(x=..., lengths=...)" in str(info.value)


def test_positional_arguments_allowed_when_only_outputs_are_typed():
    class Collate(Typing):
        @property
        def output_types(self):
            return {"y": LOGITS_BD}

        @typecheck()
        def collate(self, batch):
            return batch

    out = Collate().collate(Shaped(4, 2))
    assert out.neural_type is LOGITS_BD


def test_untyped_methods_pass_through_positional_arguments():
    assert Echo().__call__(x=3) == 3

    class Untyped(Typing):
        @typecheck()
        def f(self, a, b):
            return a + b

    assert Untyped().f(1, 2) == 3


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {},
            r"Number of input arguments provided \(0\).*between 1 \(mandatory\) and 2.*missing mandatory inputs: \['x'\]",
        ),
        (
            {"x": Shaped(2, 3), "lengths": Shaped(2), "extra": 1},
            r"Number of input arguments provided \(3\)",
        ),
        (
            {"y": Shaped(2, 3)},
            r"Input argument 'y' .* has no declared type; declared inputs are \['x', 'lengths'\]",
        ),
    ],
)
def test_argument_count_and_names(kwargs, match):
    with pytest.raises(TypeError, match=match):
        Module().forward(**kwargs)


def test_optional_inputs_and_none_values():
    Module().forward(x=Shaped(2, 3))
    Module().forward(x=Shaped(2, 3), lengths=Shaped(2))
    Module().forward(x=Shaped(2, 3), lengths=None)


def test_rank_mismatch_on_input():
    with pytest.raises(TypeError, match=r"Input shape mismatch for 'x'.*2 axes.*3 dimensions") as info:
        Module().forward(x=np.ones((2, 3, 4)))
    assert "Module.forward" in str(info.value)


def test_rank_mismatch_on_output():
    with pytest.raises(TypeError, match="Output shape mismatch for 'y'"):
        Echo(None, {"y": LOGITS_BD})(result=Shaped(2, 3, 4))


def test_inputs_with_axes_none_skip_the_rank_check():
    Echo({"x": NeuralType(None, ChannelType())}, None)(x=Shaped(1, 2, 3, 4))


def test_semantic_check_accepts_same_and_greater():
    spec = NeuralType(("B", "D", "T"), ChannelType())
    module = Echo({"x": spec}, None)
    for carried in (spec, NeuralType(("B", "D", "T"), SpectrogramType())):
        value = Shaped(2, 3, 4)
        value.neural_type = carried
        module(x=value)


@pytest.mark.parametrize(
    ("carried", "result"),
    [
        (NeuralType(("B", "D"), ChannelType()), "LESS"),
        (NeuralType(("D", "B"), SpectrogramType()), "TRANSPOSE_SAME"),
        (NeuralType(("B", "D"), LogitsType()), "INCOMPATIBLE"),
    ],
)
def test_semantic_check_rejects_others(carried, result):
    module = Echo({"x": NeuralType(("B", "D"), SpectrogramType())}, None)
    value = Shaped(2, 3)
    value.neural_type = carried
    with pytest.raises(TypeError) as info:
        module(x=value)
    text = str(info.value)
    assert text.startswith(f"NeuralTypeComparisonResult.{result}")
    assert "expected:" in text
    assert "received:" in text
    assert "element parameters" in text
    # with semantic checks off the same call goes through, and the rank check still runs
    with typecheck.disable_semantic_checks():
        assert not is_semantic_typecheck_enabled()
        module(x=value)
        with pytest.raises(TypeError, match="Input shape mismatch"):
            module(x=Shaped(1, 2, 3))
    assert is_semantic_typecheck_enabled()


def test_semantic_check_reads_type_parameters():
    from neural_types import AudioSignal

    module = Echo({"audio": NeuralType(("B", "T"), AudioSignal(16000))}, None)
    value = Shaped(2, 100)
    value.neural_type = NeuralType(("B", "T"), AudioSignal(8000))
    with pytest.raises(TypeError, match=r"SAME_TYPE_INCOMPATIBLE_PARAMS[\s\S]*\{'freq': 8000\}"):
        module(audio=value)


# ---------------------------------------------------------------- containers


def test_container_inputs_are_depth_checked():
    module = Echo({"x": [[CHANNEL_BD]]}, None)
    module(x=[[Shaped(2, 3), Shaped(2, 3)], [Shaped(2, 3)]])
    with pytest.raises(TypeError, match=r"Nested depth of value for 'x'.*2 level.*depth 1"):
        module(x=[Shaped(2, 3)])
    with pytest.raises(TypeError, match="Input shape mismatch"):
        module(x=[[Shaped(2, 3, 4)]])
    # a tensor passed to a container-declared input is rank-checked only
    module(x=Shaped(2, 3))


def test_container_inputs_semantic_check_at_leaves():
    module = Echo({"x": [CHANNEL_BD]}, None)
    leaf = Shaped(2, 3)
    leaf.neural_type = LOGITS_BD
    with pytest.raises(TypeError, match="INCOMPATIBLE"):
        module(x=[leaf])


def test_ignore_collections_skips_depth_checks():
    class Loose(Typing):
        @property
        def input_types(self):
            return {"x": [[CHANNEL_BD]]}

        @typecheck(ignore_collections=True)
        def f(self, x):
            return x

    Loose().f(x=[Shaped(2, 3)])
    Loose().f(x=[[[Shaped(2, 3)]]])


def test_container_spec_with_two_elements_is_refused():
    with pytest.raises(TypeError, match="exactly one NeuralType"):
        Echo({"x": [CHANNEL_BD, LOGITS_BD]}, None)(x=[Shaped(2, 3)])


def test_declaration_must_hold_neural_types():
    with pytest.raises(TypeError, match="must be a NeuralType"):
        Echo({"x": "B,D"}, None)(x=1)


def test_multiple_outputs_are_tagged_in_declaration_order():
    lengths = NeuralType(("B",), LengthsType())
    module = Echo(None, {"logits": LOGITS_BD, "lengths": lengths})
    a, b = module(result=(Shaped(2, 3), Shaped(2)))
    assert a.neural_type is LOGITS_BD
    assert b.neural_type is lengths
    with pytest.raises(TypeError, match=r"Number of output arguments returned \(3\)"):
        module(result=(Shaped(2, 3), Shaped(2), Shaped(2)))
    with pytest.raises(TypeError, match=r"Number of output arguments returned \(1\)"):
        module(result=Shaped(2, 3))


def test_optional_outputs_may_be_left_out():
    lengths = NeuralType(("B",), LengthsType(), optional=True)
    out = Echo(None, {"logits": LOGITS_BD, "lengths": lengths})(result=Shaped(2, 3))
    assert out.neural_type is LOGITS_BD


def test_singular_container_output():
    module = Echo(None, {"hyps": [LOGITS_BD]})
    outs = module(result=[Shaped(2, 3), Shaped(2, 3)])
    assert all(o.neural_type is LOGITS_BD for o in outs)
    # an explicit 1-tuple wrap of the list
    (inner,) = module(result=([Shaped(2, 3), Shaped(2, 3)],))
    assert all(o.neural_type is LOGITS_BD for o in inner)
    with pytest.raises(TypeError, match="Nested depth"):
        module(result=[[Shaped(2, 3)]])


def test_mixed_container_and_plain_outputs():
    module = Echo(None, {"hyps": [LOGITS_BD], "lengths": NeuralType(("B",), LengthsType())})
    hyps, lengths = module(result=([Shaped(2, 3), Shaped(2, 3)], Shaped(2)))
    assert all(h.neural_type is LOGITS_BD for h in hyps)
    assert lengths.neural_type.elements_type.__class__ is LengthsType
    with pytest.raises(TypeError, match="Nested depth of value for 'hyps'"):
        module(result=(Shaped(2, 3), Shaped(2)))


def test_untaggable_outputs_are_fine():
    assert Echo(None, {"n": NeuralType(None, LengthsType())})(result=5) == 5


def test_metadata():
    meta = TypecheckMetadata(
        {"a": [[CHANNEL_BD]], "b": NeuralType(("B",), LengthsType(), optional=True)}, ignore_collections=False
    )
    assert meta.has_container_types
    assert not meta.is_singular_container_type
    assert meta.base_types == {"a": CHANNEL_BD, "b": meta.base_types["b"]}
    assert meta.container_depth == {"a": 2, "b": 0}
    assert list(meta.mandatory_types) == ["a"]
    single = TypecheckMetadata({"a": [CHANNEL_BD]}, ignore_collections=False)
    assert single.is_singular_container_type
    assert not TypecheckMetadata({"a": [CHANNEL_BD]}, ignore_collections=True).has_container_types


# ---------------------------------------------------------------- overrides and misuse


def test_per_method_overrides():
    class Overridden(Module):
        @typecheck(input_types={"z": CHANNEL_BD}, output_types={"w": NeuralType(("B",), LengthsType())})
        def other(self, z):
            return Shaped(2)

    out = Overridden().other(z=Shaped(2, 3))
    assert out.neural_type.elements_type.__class__ is LengthsType
    with pytest.raises(TypeError, match=r"'x' .* has no declared type"):
        Overridden().other(x=Shaped(2, 3))


def test_override_with_none_disables_that_side():
    class NoInputs(Module):
        @typecheck(input_types=None)
        def other(self, a, b):
            return Shaped(2, 3)

    assert NoInputs().other(1, 2).neural_type is not None


def test_types_are_re_read_on_every_call():
    module = Echo({"x": CHANNEL_BD}, None)
    module(x=Shaped(2, 3))
    module._inputs = {"x": NeuralType(("B", "T", "D"), ChannelType())}
    with pytest.raises(TypeError, match="Input shape mismatch"):
        module(x=Shaped(2, 3))


def test_plain_function_and_non_typing_instance_are_runtime_errors():
    @typecheck()
    def free(x):
        return x

    with pytest.raises(RuntimeError, match="needs a method of a class that mixes in Typing"):
        free(x=1)

    class NotTyping:
        @typecheck()
        def f(self, x):
            return x

    with pytest.raises(RuntimeError, match="called with an instance of NotTyping"):
        NotTyping().f(x=1)


def test_a_call_without_any_positional_argument():
    @typecheck()
    def free(x=None):
        return x

    with pytest.raises(RuntimeError, match="it was called with no instance"):
        free()
    with pytest.raises(RuntimeError, match="it was called with no instance"):
        free(x=1)
    with typecheck.disable_checks():  # passed through unchanged, with no stand-in for the missing instance
        assert free() is None
        assert free(x=2) == 2
        assert Module().forward(Shaped(2, 3)).shape == (2, 3)


def test_legacy_ports_are_refused():
    class Legacy(Typing):
        @property
        def input_ports(self):
            return {}

        @typecheck()
        def f(self):
            return None

    with pytest.raises(RuntimeError, match="input_ports"):
        Legacy().f()


def test_decorator_without_parentheses_is_explained():
    with pytest.raises(TypeError, match=r"@typecheck instead of @typecheck\(\)"):
        typecheck()(42)


def test_wrapper_keeps_identity():
    method = Module.forward
    assert method.__name__ == "forward"
    assert method.__doc__ == "Double the input."
    assert inspect.signature(method) == inspect.signature(method.__wrapped__)
    assert list(inspect.signature(method).parameters) == ["self", "x", "lengths"]


# ---------------------------------------------------------------- switches


def test_global_switch_turns_everything_off():
    typecheck.set_typecheck_enabled(False)
    assert not is_typecheck_enabled()
    # positional arguments, wrong ranks and non-Typing callers all go straight through
    out = Module().forward(Shaped(1, 2, 3))
    assert not hasattr(out, "neural_type") or out is None
    typecheck.set_typecheck_enabled(True)
    assert is_typecheck_enabled()


def test_disable_checks_re_enables_on_exit_as_nemo():
    with typecheck.disable_checks():
        assert not is_typecheck_enabled()
        Module().forward(Shaped(1, 2, 3))
    assert is_typecheck_enabled()
    typecheck.set_typecheck_enabled(False)
    with typecheck.disable_checks():
        pass
    assert is_typecheck_enabled(), "NeMo's block always re-enables checks on exit"


def test_disable_checks_restores_on_exception():
    with pytest.raises(KeyError), typecheck.disable_checks():
        raise KeyError
    assert is_typecheck_enabled()


def test_disable_semantic_checks_re_enables_on_exit_as_nemo():
    typecheck.set_semantic_check_enabled(False)
    with typecheck.disable_semantic_checks():
        assert not is_semantic_typecheck_enabled()
    assert is_semantic_typecheck_enabled()


def test_enable_wrapping_acts_at_decoration_time():
    try:
        typecheck.enable_wrapping(False)

        def raw(self, x):
            return x

        assert typecheck()(raw) is raw
    finally:
        typecheck.enable_wrapping(True)
    assert typecheck()(raw) is not raw


def test_checks_are_skipped_while_torch_compiles(monkeypatch):
    from neural_types import _runtime

    # The probes are resolved once per process; let each stand-in below be found afresh.
    monkeypatch.setattr(_runtime, "_probe", None)
    # A stand-in for torch that reports scripting: torch is not a dependency of this package.
    scripting = types.SimpleNamespace(
        jit=types.SimpleNamespace(is_scripting=lambda: True),
        compiler=types.SimpleNamespace(is_compiling=lambda: False),
    )
    monkeypatch.setitem(sys.modules, "torch", scripting)
    assert str(ChannelType()) == "SuppressedForTorchScript"
    assert repr(ChannelType()) == "SuppressedForTorchScript"
    assert NeuralType(("B",), ChannelType()).compare(NeuralType(("T",), LogitsType())).name == "SAME"
    compiling = types.SimpleNamespace(
        jit=types.SimpleNamespace(is_scripting=lambda: False),
        compiler=types.SimpleNamespace(is_compiling=lambda: True),
    )
    monkeypatch.setitem(sys.modules, "torch", compiling)
    monkeypatch.setattr(_runtime, "_probe", None)
    Module().forward(x=Shaped(1, 2, 3))
    monkeypatch.setitem(
        sys.modules,
        "torch",
        types.SimpleNamespace(
            jit=types.SimpleNamespace(is_scripting=lambda: False),
            compiler=types.SimpleNamespace(is_compiling=lambda: False),
        ),
    )
    monkeypatch.setattr(_runtime, "_probe", None)
    with pytest.raises(TypeError, match="Input shape mismatch"):
        Module().forward(x=Shaped(1, 2, 3))
    # torch.compiler.is_dynamo_compiling, where torch has it, is the probe of choice
    monkeypatch.setitem(
        sys.modules,
        "torch",
        types.SimpleNamespace(
            jit=types.SimpleNamespace(is_scripting=lambda: False),
            compiler=types.SimpleNamespace(is_compiling=lambda: False, is_dynamo_compiling=lambda: True),
        ),
    )
    monkeypatch.setattr(_runtime, "_probe", None)
    Module().forward(x=Shaped(1, 2, 3))


def test_list_axes_declarations_check_rank_of_tensor_part():
    spec = NeuralType((AxisType(AxisKind.Batch, is_list=True), AxisType(AxisKind.Time)), ChannelType())
    Echo({"x": spec}, None)(x=Shaped(4, 10))


def test_rank_is_read_from_ndim_when_there_is_no_shape():
    class OnlyNdim:
        ndim = 3

    with pytest.raises(TypeError, match=r"Input shape mismatch for 'x'.*has 3 dimensions\.$"):
        Module().forward(x=OnlyNdim())
    with pytest.raises(TypeError, match="Output shape mismatch"):
        Echo(None, {"y": LOGITS_BD})(result=OnlyNdim())


class Tensorish:
    """Like a tensor: ``ndim`` as an int (the wrapper's inline path) and room for a ``neural_type``."""

    def __init__(self, *shape):
        self.shape = shape
        self.ndim = len(shape)


def test_inline_path_remembers_accepted_pairs_but_still_rejects_others():
    from neural_types import AudioSignal

    module = Echo({"x": NeuralType(("B", "D"), ChannelType())}, {"y": LOGITS_BD})
    value = Tensorish(2, 3)
    for _ in range(2):  # the second call is answered from the accepted pairs
        value.neural_type = NeuralType(("B", "D"), SpectrogramType())
        assert module(x=value).neural_type is LOGITS_BD
    value.neural_type = NeuralType(("B", "D"), LogitsType())
    with pytest.raises(TypeError, match="INCOMPATIBLE: input type mismatch for 'x'"):
        module(x=value)
    value.neural_type = "not a NeuralType"  # foreign attributes of that name are not ours to judge
    module(x=value)
    with pytest.raises(TypeError, match=r"Input shape mismatch for 'x'.*\(shape \(2, 3, 4\)\)"):
        module(x=Tensorish(2, 3, 4))

    # parametrized element types are remembered with their parameters
    audio = Echo({"a": NeuralType(("B", "T"), AudioSignal(16000))}, None)
    value = Tensorish(2, 100)
    for _ in range(2):
        value.neural_type = NeuralType(("B", "T"), AudioSignal(16000))
        audio(a=value)
    value.neural_type = NeuralType(("B", "T"), AudioSignal(8000))
    with pytest.raises(TypeError, match="SAME_TYPE_INCOMPATIBLE_PARAMS"):
        audio(a=value)


def test_a_single_output_declaration_is_followed_when_its_name_or_type_changes():
    class Renamed(Echo):
        def __init__(self):
            super().__init__({"x": CHANNEL_BD}, {"y": LOGITS_BD})

    module = Renamed()
    assert module(x=Tensorish(2, 3)).neural_type is LOGITS_BD  # learns the name "y"
    spectrogram = NeuralType(("B", "D", "T"), SpectrogramType())
    module._outputs = {"z": spectrogram}
    with pytest.raises(TypeError, match=r"Output shape mismatch for 'z'.*3 axes"):
        module(x=Tensorish(2, 3))
    module._inputs = None
    assert module(x=Tensorish(2, 3, 4)).neural_type is spectrogram
    module._outputs = {"y": LOGITS_BD, "z": spectrogram}  # the learnt name, but no longer the only output
    with pytest.raises(TypeError, match="Number of output arguments returned"):
        module(x=Tensorish(2, 3))
    module._outputs = {"y": [LOGITS_BD]}  # the learnt name, now a container spec
    out = module(x=[Tensorish(2, 3)])
    assert out[0].neural_type is LOGITS_BD


def test_inline_path_hands_containers_and_odd_values_to_the_general_checks():
    module = Echo({"x": [CHANNEL_BD]}, {"y": [LOGITS_BD]})
    out = module(x=[Tensorish(2, 3), Tensorish(1, 3)])
    assert [o.neural_type for o in out] == [LOGITS_BD, LOGITS_BD]
    with pytest.raises(TypeError, match="Input shape mismatch"):
        module(x=[Tensorish(2, 3, 1)])
    with pytest.raises(TypeError, match="Input argument 'z'"):
        module(z=Tensorish(2, 3))
    with pytest.raises(TypeError, match="Output shape mismatch for 'y'"):
        Echo(None, {"y": LOGITS_BD})(result=Tensorish(2))
