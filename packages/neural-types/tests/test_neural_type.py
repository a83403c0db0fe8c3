import itertools

import pytest

from neural_types import (
    AcousticEncodedRepresentation,
    AudioSignal,
    AxisKind,
    AxisType,
    ChannelType,
    ElementType,
    EncodedRepresentation,
    LengthsType,
    LogitsType,
    MelSpectrogramType,
    NeuralPortNameMismatchError,
    NeuralPortNmTensorMismatchError,
    NeuralType,
    NeuralTypeError,
    SpectrogramType,
    VoidType,
)
from neural_types import NeuralTypeComparisonResult as R
from neural_types import neural_type as neural_type_module


def nt(axes, elem=None, **kwargs):
    return NeuralType(axes, elem, **kwargs)


def test_defaults():
    t = NeuralType()
    assert t.axes is None
    assert isinstance(t.elements_type, VoidType)
    assert t.optional is False


def test_string_axes_become_axis_types():
    t = nt(("B", "T", "D"), ChannelType())
    assert [a.kind for a in t.axes] == [AxisKind.Batch, AxisKind.Time, AxisKind.Dimension]
    assert all(a.size is None and not a.is_list for a in t.axes)
    assert isinstance(t.axes, tuple)


def test_axis_type_axes_are_kept():
    axes = (AxisType(AxisKind.Batch, is_list=True), AxisType(AxisKind.Time, 10))
    t = nt(axes, ChannelType())
    assert t.axes == axes
    assert t.axes[0] is axes[0]


@pytest.mark.parametrize("elem", [ChannelType, "ChannelType", 3])
def test_elements_type_must_be_an_instance(elem):
    with pytest.raises(ValueError, match="must be an ElementType instance") as info:
        NeuralType(("B",), elem)
    assert "ChannelType()" in str(info.value)


@pytest.mark.parametrize(
    "axes",
    [
        (AxisType(AxisKind.Batch), "T"),
        ("B", AxisType(AxisKind.Time)),
        ("B", 3),
        "BT",
        (AxisType(AxisKind.Batch), AxisType(AxisKind.Time, is_list=True)),
    ],
)
def test_malformed_axes_raise_value_error(axes):
    with pytest.raises(ValueError, match="axes"):
        NeuralType(axes, ChannelType())


def test_unknown_axis_label():
    with pytest.raises(ValueError, match="Can't create AxisKind from 'Q'"):
        NeuralType(("B", "Q"), ChannelType())


def test_list_axes_before_tensor_axes_are_fine():
    t = NeuralType((AxisType(AxisKind.Batch, is_list=True), AxisType(AxisKind.Time)), ChannelType())
    assert t.axes[0].is_list


def test_str_and_repr():
    t = nt(("B", "T"), LogitsType())
    assert str(t) == "axes: (batch, time); elements_type: LogitsType"
    assert repr(t) == "NeuralType(axis=('batch', 'time'), element_type=LogitsType)"
    assert repr(nt(None, LogitsType(), optional=True)) == (
        "NeuralType(axis=None, element_type=LogitsType, optional=True)"
    )
    assert str(NeuralType()) == "axes: None; elements_type: VoidType"
    sized = NeuralType((AxisType(AxisKind.Batch, 4),), LogitsType())
    assert repr(sized) == "NeuralType(axis=('batch:4',), element_type=LogitsType)"


# (first, second, expected) straight from the rules of behaviour spec §1.6
CASES = [
    # identical and subtype relations propagate through same axes
    (nt(("B", "T", "C"), ChannelType()), nt(("B", "T", "C"), ChannelType()), R.SAME),
    (nt(("B", "T", "C"), ChannelType()), nt(("B", "T", "C"), SpectrogramType()), R.GREATER),
    (nt(("B", "T", "C"), SpectrogramType()), nt(("B", "T", "C"), ChannelType()), R.LESS),
    (nt(("B", "T"), AudioSignal(16000)), nt(("B", "T"), AudioSignal(8000)), R.SAME_TYPE_INCOMPATIBLE_PARAMS),
    (nt(("B", "T"), AudioSignal()), nt(("B", "T"), AudioSignal(8000)), R.SAME),
    # transposition
    (nt(("B", "T", "C"), ChannelType()), nt(("T", "B", "C"), ChannelType()), R.TRANSPOSE_SAME),
    (nt(("T", "B", "C"), ChannelType()), nt(("B", "T", "C"), ChannelType()), R.TRANSPOSE_SAME),
    (nt(("B", "T", "C"), ChannelType()), nt(("T", "B", "C"), LogitsType()), R.INCOMPATIBLE),
    # rank and kind mismatches
    (nt(("B", "T", "C"), ChannelType()), nt(("B", "T"), ChannelType()), R.INCOMPATIBLE),
    (nt(("B", "T", "C"), ChannelType()), nt(("B", "T", "W"), ChannelType()), R.INCOMPATIBLE),
    (nt(("B", "T"), ChannelType()), nt(("B", "T"), LogitsType()), R.INCOMPATIBLE),
    # sizes: unsized first accepts sized second, not the other way round
    (
        nt(("B", "D"), ChannelType()),
        nt((AxisType(AxisKind.Batch), AxisType(AxisKind.Dimension, 64)), ChannelType()),
        R.SAME,
    ),
    (
        nt((AxisType(AxisKind.Batch), AxisType(AxisKind.Dimension, 64)), ChannelType()),
        nt(("B", "D"), ChannelType()),
        R.DIM_INCOMPATIBLE,
    ),
    (
        nt((AxisType(AxisKind.Batch), AxisType(AxisKind.Dimension, 64)), ChannelType()),
        nt((AxisType(AxisKind.Batch), AxisType(AxisKind.Dimension, 32)), ChannelType()),
        R.DIM_INCOMPATIBLE,
    ),
    (
        nt((AxisType(AxisKind.Batch), AxisType(AxisKind.Dimension, 64)), ChannelType()),
        nt((AxisType(AxisKind.Batch), AxisType(AxisKind.Dimension, 32)), LogitsType()),
        R.INCOMPATIBLE,
    ),
    # Any axes
    (nt(("B", "Any", "Any"), ChannelType()), nt(("B", "T", "C"), ChannelType()), R.SAME),
    (nt(("B", "Any", "Any"), ChannelType()), nt(("B", "C", "H"), ChannelType()), R.SAME),
    (nt(("B", "T", "C"), ChannelType()), nt(("B", "Any", "Any"), ChannelType()), R.INCOMPATIBLE),
    # the upstream quirk: a trailing Any in the first type masks an earlier mismatch
    (nt(("B", "T", "Any"), ChannelType()), nt(("B", "W", "H"), ChannelType()), R.SAME),
    (nt(("T", "Any"), ChannelType()), nt(("B", "D"), ChannelType()), R.SAME),
    (nt(("Any", "T"), ChannelType()), nt(("B", "D"), ChannelType()), R.INCOMPATIBLE),
    # list axes vs tensor axes with the same kinds
    (
        nt((AxisType(AxisKind.Batch, is_list=True), AxisType(AxisKind.Time)), ChannelType()),
        nt(("B", "T"), ChannelType()),
        R.TRANSPOSE_SAME,
    ),
    # axes None
    (NeuralType(), nt(("B", "T"), LogitsType()), R.SAME),
    (NeuralType(None, VoidType()), NeuralType(None, LogitsType()), R.SAME),
    (NeuralType(None, ChannelType()), NeuralType(None, SpectrogramType()), R.GREATER),
    (NeuralType(None, ChannelType()), nt(("B",), ChannelType()), R.INCOMPATIBLE),
    (nt(("B",), ChannelType()), NeuralType(None, ChannelType()), R.INCOMPATIBLE),
    # a void element with axes is not the "big void"
    (nt(("B", "T"), VoidType()), nt(("B", "T", "C"), ChannelType()), R.INCOMPATIBLE),
    (nt(("B", "T"), VoidType()), nt(("B", "T"), ChannelType()), R.SAME),
    # empty axes tuple
    (nt((), ChannelType()), nt((), ChannelType()), R.SAME),
]


@pytest.mark.parametrize(("first", "second", "expected"), CASES)
def test_compare(first, second, expected):
    assert first.compare(second) is expected
    # the cache answers the same the second time, and for fresh equal objects
    assert first.compare(second) is expected
    assert first._compare_uncached(second) is expected


def test_cache_matches_uncached_for_every_pair():
    types = [c[0] for c in CASES] + [c[1] for c in CASES]
    for a, b in itertools.product(types, repeat=2):
        assert a.compare(b) is a._compare_uncached(b)


def test_custom_compare_is_never_cached():
    calls = []

    class Picky(ElementType):
        def __init__(self, answer):
            self.answer = answer

        def compare(self, second):
            calls.append(self.answer)
            return self.answer

    first = NeuralType(("B",), Picky(R.SAME))
    assert first.compare(NeuralType(("B",), ChannelType())) is R.SAME
    first2 = NeuralType(("B",), Picky(R.INCOMPATIBLE))
    assert first2.compare(NeuralType(("B",), ChannelType())) is R.INCOMPATIBLE
    assert calls == [R.SAME, R.INCOMPATIBLE]


def test_caches_are_bounded_and_stay_correct_when_full(monkeypatch):
    monkeypatch.setattr(neural_type_module, "_INTERNED", {})
    monkeypatch.setattr(neural_type_module, "_COMPARE_CACHE", {})
    monkeypatch.setattr(neural_type_module, "_MAX_INTERNED", 100)
    monkeypatch.setattr(neural_type_module, "_MAX_COMPARE_CACHE", 30)
    for size in range(200):
        a = NeuralType((AxisType(AxisKind.Batch, size),), ChannelType())
        b = NeuralType((AxisType(AxisKind.Batch, size + 1),), ChannelType())
        assert a.compare(a) is R.SAME
        assert a.compare(b) is R.DIM_INCOMPATIBLE
    assert len(neural_type_module._INTERNED) == 100
    assert len(neural_type_module._COMPARE_CACHE) == 30


def test_keys_are_never_reused_when_a_table_is_swapped(monkeypatch):
    before = NeuralType(("B", "T"), ChannelType())
    used = set(neural_type_module._INTERNED.values()) | {before._cache_key()}
    monkeypatch.setattr(neural_type_module, "_INTERNED", {})
    monkeypatch.setattr(neural_type_module, "_COMPARE_CACHE", {})
    after = NeuralType((AxisType(AxisKind.Time, 7),), LogitsType())  # interned into the empty table
    assert after._cache_key() not in used
    assert before.compare(after) is R.INCOMPATIBLE
    assert after.compare(NeuralType((AxisType(AxisKind.Time, 7),), LogitsType())) is R.SAME


def test_fresh_objects_share_cache_entries(monkeypatch):
    monkeypatch.setattr(neural_type_module, "_COMPARE_CACHE", {})
    for _ in range(5):
        assert nt(("B", "T"), ChannelType()).compare(nt(("B", "T"), SpectrogramType())) is R.GREATER
    assert len(neural_type_module._COMPARE_CACHE) == 1


def test_eq_is_a_bool():
    a = nt(("B", "T"), ChannelType())
    assert (a == nt(("B", "T"), ChannelType())) is True
    assert (a == nt(("T", "B"), ChannelType())) is False
    assert (a == nt(("B", "T"), SpectrogramType())) is False
    assert (a == "not a type") is False
    assert a != nt(("B", "T"), LogitsType())


def test_neural_type_is_unhashable_like_nemo():
    with pytest.raises(TypeError):
        hash(NeuralType())


def test_compare_and_raise_error():
    class Port:
        def __init__(self, ntype):
            self.ntype = ntype

    declared = nt(("B", "T", "D"), EncodedRepresentation())
    declared.compare_and_raise_error("Enc", "x", Port(nt(("B", "T", "D"), AcousticEncodedRepresentation())))
    declared.compare_and_raise_error("Enc", "x", Port(nt(("B", "T", "D"), EncodedRepresentation())))
    with pytest.raises(NeuralPortNmTensorMismatchError) as info:
        declared.compare_and_raise_error("Enc", "x", Port(nt(("B", "T", "D"), ChannelType())))
    err = info.value
    assert "Enc" in err.message
    assert "x" in err.message
    assert "NeuralTypeComparisonResult.GREATER" not in err.message
    assert "LESS" in err.message
    assert str(err) == err.message
    assert isinstance(err, NeuralTypeError)
    with pytest.raises(NeuralPortNmTensorMismatchError, match="TRANSPOSE_SAME"):
        declared.compare_and_raise_error("Enc", "x", Port(nt(("T", "B", "D"), EncodedRepresentation())))


def test_port_name_error():
    err = NeuralPortNameMismatchError("audio")
    assert err.message == "Wrong input port name: audio"
    assert str(err) == err.message
    assert err.input_port_name == "audio"


def test_lengths_and_spectrograms_regressions():
    # a common declaration pair in ASR modules
    assert nt(("B",), LengthsType()).compare(nt(("B",), LengthsType())) is R.SAME
    assert (
        nt(("B", "D", "T"), SpectrogramType()).compare(nt(("B", "D", "T"), MelSpectrogramType())) is R.GREATER
    )


def test_string_declarations_are_born_with_their_cache_key():
    """Once a structure is known, a fresh string-axes declaration of a class-only element type starts keyed."""
    learned = NeuralType((AxisType(AxisKind.Batch), AxisType(AxisKind.Time)), LogitsType())
    key = learned._cache_key()
    fresh = NeuralType(("B", "T"), LogitsType())
    assert fresh._key == key
    # parametrized element types depend on their parameters, so they are never keyed by class alone
    low = NeuralType(("B", "T"), AudioSignal(freq=8000))
    high = NeuralType(("B", "T"), AudioSignal(freq=16000))
    assert low._key is None
    assert high._key is None
    assert low.compare(high) is R.SAME_TYPE_INCOMPATIBLE_PARAMS
    assert NeuralType(("B", "T"), AudioSignal(freq=8000)).compare(low) is R.SAME
    assert NeuralType(("B", "T"), AudioSignal(freq=16000)).compare(low) is R.SAME_TYPE_INCOMPATIBLE_PARAMS


def test_compare_and_raise_error_accepts_a_neural_type_as_documented():
    declared = nt(("B", "T", "D"), EncodedRepresentation())
    declared.compare_and_raise_error("Enc", "x", nt(("B", "T", "D"), AcousticEncodedRepresentation()))
    with pytest.raises(NeuralPortNmTensorMismatchError) as info:
        declared.compare_and_raise_error("Enc", "x", nt(("B", "T", "D"), ChannelType()))
    assert "ChannelType" in info.value.message
    assert "LESS" in info.value.message
