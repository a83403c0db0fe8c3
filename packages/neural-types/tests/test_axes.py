import pytest

from neural_types import AxisKind, AxisKindAbstract, AxisType

LABELS = {
    "b": AxisKind.Batch,
    "n": AxisKind.Batch,
    "batch": AxisKind.Batch,
    "t": AxisKind.Time,
    "time": AxisKind.Time,
    "t_audio": AxisKind.Time,
    "t_enc": AxisKind.Time,
    "d": AxisKind.Dimension,
    "c": AxisKind.Dimension,
    "channel": AxisKind.Dimension,
    "dimension": AxisKind.Dimension,
    "w": AxisKind.Width,
    "width": AxisKind.Width,
    "h": AxisKind.Height,
    "height": AxisKind.Height,
    "any": AxisKind.Any,
    "seq": AxisKind.Sequence,
    "sequence": AxisKind.Sequence,
    "flowgroup": AxisKind.FlowGroup,
    "s": AxisKind.Singleton,
    "singleton": AxisKind.Singleton,
}


@pytest.mark.parametrize(("label", "kind"), LABELS.items())
@pytest.mark.parametrize("transform", [str, str.upper, lambda s: f"  {s.title()} "])
def test_from_str_accepts_every_label(label, kind, transform):
    assert AxisKind.from_str(transform(label)) is kind


@pytest.mark.parametrize("label", ["x", "", "t_", "batches", "tim", "dim", "q_audio"])
def test_from_str_rejects_unknown_labels(label):
    with pytest.raises(ValueError, match="Can't create AxisKind from") as info:
        AxisKind.from_str(label)
    assert "expected one of" in str(info.value)


@pytest.mark.parametrize(
    ("kind", "value", "text"),
    [
        (AxisKind.Batch, 0, "batch"),
        (AxisKind.Time, 1, "time"),
        (AxisKind.Dimension, 2, "dimension"),
        (AxisKind.Width, 3, "width"),
        (AxisKind.Height, 4, "height"),
        (AxisKind.Any, 5, "any"),
        (AxisKind.Sequence, 6, "sequence"),
        (AxisKind.FlowGroup, 7, "flowgroup"),
        (AxisKind.Singleton, 8, "singleton"),
    ],
)
def test_members_values_and_text(kind, value, text):
    assert kind.value == value
    assert str(kind) == text
    assert repr(kind) == text


def test_channel_is_an_alias_of_dimension():
    assert AxisKind.Channel is AxisKind.Dimension
    assert len(AxisKind) == 9


def test_str_of_every_kind_round_trips_through_from_str():
    for kind in AxisKind:
        assert AxisKind.from_str(str(kind)) is kind


def test_t_with_string():
    assert AxisKind.Time.t_with_string("t_time_")
    assert AxisKind.Batch.t_with_string("t_batch_")
    assert not AxisKind.Time.t_with_string("t_time")
    assert not AxisKind.Time.t_with_string("time_")
    assert not AxisKind.Time.t_with_string("t_batch_")


def test_custom_axis_kinds_subclass_the_abstract_base():
    class MyKind(AxisKindAbstract):
        Tokens = 0

    axis = AxisType(MyKind.Tokens, 5)
    assert axis.kind is MyKind.Tokens
    assert isinstance(AxisKind.Batch, AxisKindAbstract)


def test_axis_type_fields_and_repr():
    axis = AxisType(AxisKind.Time)
    assert (axis.kind, axis.size, axis.is_list) == (AxisKind.Time, None, False)
    assert repr(axis) == "time"
    assert repr(AxisType(AxisKind.Batch, 16)) == "batch:16"
    assert repr(AxisType(AxisKind.Dimension, is_list=True)) == "dimension_listdim"


def test_axis_type_rejects_size_with_list():
    with pytest.raises(ValueError, match="list axes cannot have a size"):
        AxisType(AxisKind.Batch, size=3, is_list=True)
