import inspect

import pytest

import neural_types
from neural_types import elements
from neural_types.comparison import NeuralTypeComparisonResult as R

# class name -> parent class name, as in NeMo 3.0.0 (behaviour spec §1.3)
PARENTS = {
    "VoidType": "ElementType",
    "ChannelType": "ElementType",
    "EmbeddedTextType": "ChannelType",
    "EncodedRepresentation": "ChannelType",
    "AcousticEncodedRepresentation": "EncodedRepresentation",
    "SpectrogramType": "ChannelType",
    "MelSpectrogramType": "SpectrogramType",
    "MFCCSpectrogramType": "SpectrogramType",
    "LogitsType": "ElementType",
    "ProbsType": "ElementType",
    "LogprobsType": "ElementType",
    "LabelsType": "ElementType",
    "HypothesisType": "LabelsType",
    "PredictionsType": "LabelsType",
    "RegressionValuesType": "PredictionsType",
    "CategoricalValuesType": "PredictionsType",
    "MaskType": "PredictionsType",
    "LengthsType": "ElementType",
    "LossType": "ElementType",
    "AudioSignal": "ElementType",
    "VideoSignal": "ElementType",
    "Index": "ElementType",
    "Target": "ElementType",
    "ClassificationTarget": "Target",
    "ImageValue": "ElementType",
    "NormalizedImageValue": "ImageValue",
    "ImageFeatureValue": "ImageValue",
    "StringType": "ElementType",
    "StringLabel": "StringType",
    "BoolType": "ElementType",
    "IntType": "ElementType",
    "FloatType": "ElementType",
    "TokenIndex": "IntType",
    "Length": "IntType",
    "ProbabilityDistributionSamplesType": "ElementType",
    "NormalDistributionSamplesType": "ProbabilityDistributionSamplesType",
    "NormalDistributionMeanType": "ElementType",
    "NormalDistributionLogVarianceType": "ElementType",
    "SequenceToSequenceAlignmentType": "ElementType",
    "TokenDurationType": "ElementType",
    "TokenLogDurationType": "ElementType",
    "LogDeterminantType": "ElementType",
}
ALL = sorted(PARENTS)


def test_every_element_class_of_the_spec_exists_and_nothing_else():
    defined = {
        name
        for name, obj in vars(elements).items()
        if inspect.isclass(obj) and issubclass(obj, elements.ElementType) and obj is not elements.ElementType
    }
    assert defined == set(PARENTS)


def test_all_exports_everything_but_the_distribution_base():
    assert set(elements.__all__) == {*PARENTS, "ElementType"} - {"ProbabilityDistributionSamplesType"}
    for name in elements.__all__:
        assert getattr(neural_types, name) is getattr(elements, name)


@pytest.mark.parametrize("name", ALL)
def test_parent_str_repr_and_defaults(name):
    cls = getattr(elements, name)
    assert cls.__bases__ == (getattr(elements, PARENTS[name]),)
    instance = cls()
    assert repr(instance) == name
    assert str(instance) == cls.__doc__
    assert str(instance).strip()
    assert instance.fields is None
    if name not in {"AudioSignal", "VideoSignal"}:
        assert instance.type_parameters == {}


@pytest.mark.parametrize("name", ALL)
def test_compare_with_itself_parent_and_root(name):
    cls = getattr(elements, name)
    assert cls().compare(cls()) is R.SAME
    if name == "VoidType":
        return
    parent = getattr(elements, PARENTS[name])
    assert cls().compare(parent()) is R.LESS
    assert parent().compare(cls()) is (R.SAME if parent is elements.VoidType else R.GREATER)
    assert elements.ElementType().compare(cls()) is R.GREATER


@pytest.mark.parametrize("name", ALL)
def test_void_is_same_as_first_operand_only(name):
    cls = getattr(elements, name)
    assert elements.VoidType().compare(cls()) is R.SAME
    if name != "VoidType":
        assert cls().compare(elements.VoidType()) is R.INCOMPATIBLE
    assert elements.ElementType().compare(elements.VoidType()) is R.GREATER


def test_unrelated_types_are_incompatible():
    assert elements.LogitsType().compare(elements.ProbsType()) is R.INCOMPATIBLE
    assert elements.MelSpectrogramType().compare(elements.MFCCSpectrogramType()) is R.INCOMPATIBLE
    # grandchild vs grandparent is still LESS / GREATER
    assert elements.MaskType().compare(elements.LabelsType()) is R.LESS
    assert elements.LabelsType().compare(elements.MaskType()) is R.GREATER


@pytest.mark.parametrize(("cls", "key"), [(elements.AudioSignal, "freq"), (elements.VideoSignal, "fps")])
def test_parametrized_types(cls, key):
    assert cls().type_parameters == {key: None}
    assert cls(16000).type_parameters == {key: 16000}
    assert cls(16000).compare(cls(16000)) is R.SAME
    assert cls(16000).compare(cls(8000)) is R.SAME_TYPE_INCOMPATIBLE_PARAMS
    assert cls(16000).compare(cls()) is R.SAME
    assert cls().compare(cls(8000)) is R.SAME


def test_parameters_are_not_inspected_for_subtypes():
    class NarrowAudio(elements.AudioSignal):
        """Audio at a fixed rate."""

    assert NarrowAudio(8000).compare(elements.AudioSignal(16000)) is R.LESS


def test_different_parameter_keys_are_incompatible_params():
    class Sized(elements.ChannelType):
        def __init__(self, **params):
            self._params = params

        @property
        def type_parameters(self):
            return self._params

    assert Sized(a=1).compare(Sized(b=1)) is R.SAME_TYPE_INCOMPATIBLE_PARAMS
    assert Sized(a=1, b=None).compare(Sized(a=1, b=2)) is R.SAME


def test_fields_must_be_equal():
    class Record(elements.ElementType):
        def __init__(self, fields):
            self._fields = fields

        @property
        def fields(self):
            return self._fields

    assert Record(("a", "b")).compare(Record(("a", "b"))) is R.SAME
    assert Record(("a",)).compare(Record(("a", "b"))) is R.INCOMPATIBLE


def test_fields_as_plain_method_makes_instances_incompatible():
    # NeMo's own tests rely on this: bound methods of two instances never compare equal.
    class MethodFields(elements.ElementType):
        def fields(self):
            return ("a",)

    assert MethodFields().compare(MethodFields()) is R.INCOMPATIBLE


def test_comparison_result_values():
    expected = {
        "SAME": 0,
        "LESS": 1,
        "GREATER": 2,
        "DIM_INCOMPATIBLE": 3,
        "TRANSPOSE_SAME": 4,
        "CONTAINER_SIZE_MISMATCH": 5,
        "INCOMPATIBLE": 6,
        "SAME_TYPE_INCOMPATIBLE_PARAMS": 7,
        "UNCHECKED": 8,
    }
    assert {member.name: member.value for member in R} == expected
