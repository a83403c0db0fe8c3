"""The two variants of the generated wrapper: which methods get which, and the keyword variant's hand-overs.

Every behaviour of ``@typecheck()`` is tested in test_typecheck.py, and again through the generic variant in
test_typecheck_generic.py; this module covers what is particular to the keyword variant.
"""

import traceback

import pytest

from neural_types import ChannelType, LengthsType, NeuralType, Typing, typecheck


class Shaped:
    def __init__(self, *shape):
        self.shape = shape
        self.ndim = len(shape)


class Typed(Typing):
    @property
    def input_types(self):
        return {
            "x": NeuralType(("B", "D"), ChannelType()),
            "lengths": NeuralType(("B",), LengthsType(), optional=True),
            "scale": NeuralType(None, ChannelType(), optional=True),
        }

    @typecheck()
    def forward(self, x, lengths=None, scale=2):
        return (x, lengths, scale)

    @typecheck()
    def keyword_only(self, x, *, scale=2):
        return (x, scale)

    @typecheck()
    def anything(self, *args, **kwargs):
        return (args, kwargs)


def _is_keyword_variant(method):
    return method.__code__.co_kwonlyargcount > 0


def test_plain_methods_get_the_keyword_variant_and_others_the_generic_one():
    assert _is_keyword_variant(Typed.forward)
    assert not _is_keyword_variant(Typed.anything)
    assert not _is_keyword_variant(Typed.keyword_only)
    x = Shaped(2, 3)
    assert Typed().keyword_only(x=x) == (x, 2)
    assert Typed().keyword_only(x=x, scale=3) == (x, 3)
    x = Shaped(2, 3)
    assert Typed().anything(x=x) == ((), {"x": x})
    with pytest.raises(TypeError, match="Input shape mismatch for 'x'"):
        Typed().anything(x=Shaped(2))


def test_parameters_not_passed_get_the_method_defaults():
    x = Shaped(2, 3)
    assert Typed().forward(x=x) == (x, None, 2)
    assert Typed().forward(x=x, scale=5) == (x, None, 5)
    lengths = Shaped(2)
    assert Typed().forward(x=x, lengths=lengths) == (x, lengths, 2)
    # defaults are read from the method on each call, as Python itself does
    method = Typed.forward.__wrapped__
    saved = method.__defaults__
    method.__defaults__ = (None, 7)
    try:
        assert Typed().forward(x=x) == (x, None, 7)
    finally:
        method.__defaults__ = saved


def test_parameters_not_passed_are_not_checked():
    with pytest.raises(TypeError, match="Input shape mismatch for 'lengths'"):
        Typed().forward(x=Shaped(2, 3), lengths=Shaped(2, 1))
    assert Typed().forward(x=Shaped(2, 3))[1] is None


def test_calls_that_do_not_fit_reach_the_generic_checks_unchanged():
    typed = Typed()
    with pytest.raises(TypeError, match="passed by kwargs only"):
        typed.forward(Shaped(2, 3))
    with pytest.raises(TypeError, match=r"'bias' .* has no declared type"):
        typed.forward(x=Shaped(2, 3), bias=Shaped(3))
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'x'"):
        typed.forward(lengths=Shaped(2))
    with pytest.raises(RuntimeError, match="called with no instance"):
        Typed.forward(x=Shaped(2, 3))
    with typecheck.disable_checks():
        # unchecked, the call reaches the method exactly as made, so Python reports the clash
        with pytest.raises(TypeError, match="multiple values for argument 'x'"):
            typed.forward(Shaped(2, 3), x=Shaped(2, 3))
        x = Shaped(2, 3)
        assert typed.forward(x, None, scale=1) == (x, None, 1)


def test_parameter_names_the_generated_code_uses_get_the_generic_variant():
    class Clashing(Typing):
        @property
        def input_types(self):
            return {"type": NeuralType(("B", "D"), ChannelType()), "_value": NeuralType(None, ChannelType())}

        @typecheck()
        def forward(self, type, _value):
            return _value

    class Placeholder(Typing):
        @typecheck()
        def forward(self, x, _p0):
            return (x, _p0)

    class Usual(Typing):
        @typecheck()
        def forward(self, value, name, state, args, kwargs, outputs):
            return value

    assert not _is_keyword_variant(Clashing.forward)
    assert not _is_keyword_variant(Placeholder.forward)
    assert Placeholder().forward(x=1, _p0=2) == (1, 2)
    assert _is_keyword_variant(Usual.forward)
    with pytest.raises(TypeError, match="Input shape mismatch for 'type'"):
        Clashing().forward(type=Shaped(2), _value=1)
    assert Clashing().forward(type=Shaped(2, 3), _value=1) == 1


def test_methods_of_one_shape_share_their_compiled_code():
    class A(Typing):
        @typecheck()
        def forward(self, x):
            return x

    class B(Typing):
        @typecheck()
        def forward(self, x):
            return -x

        @typecheck()
        def other(self, y):
            return y

    assert A.forward.__code__ is B.forward.__code__
    # the same compiled source, with the parameter named as the method names it
    assert B.other.__code__ is not B.forward.__code__
    assert B.other.__code__.co_code == B.forward.__code__.co_code
    assert (A().forward(x=1), B().forward(x=1), B().other(y=2)) == (1, -1, 2)
    with pytest.raises(TypeError, match=r"'x' .* has no declared type"):
        # untyped methods accept anything; a typed one names the unknown keyword, however it is spelt
        type("C", (B,), {"input_types": property(lambda self: {"y": NeuralType()})})().other(x=1)


def test_tracebacks_show_the_wrapper_source():
    class Failing(Typing):
        @typecheck()
        def forward(self, x):
            raise ValueError("inside the method")

    with pytest.raises(ValueError, match="inside the method") as info:
        Failing().forward(x=1)
    text = "".join(traceback.format_exception(info.value))
    assert "typecheck wrapper" in text
    assert "_outputs = _wrapped(_self, _p0)" in text
