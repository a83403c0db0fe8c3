"""Element types: what the values inside a tensor mean.

Element types form a class hierarchy. Comparing two element types tells whether one is the same as, a subtype
of (LESS) or a supertype of (GREATER) the other; parametrized types such as :class:`AudioSignal` also compare
their parameters, where ``None`` matches any value.
"""

from __future__ import annotations

from abc import ABC

from neural_types._runtime import under_compiler
from neural_types.comparison import NeuralTypeComparisonResult

# typing is only needed by type checkers; importing it at run time would cost a few ms of import time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "ElementType",
    "VoidType",
    "BoolType",
    "ChannelType",
    "AcousticEncodedRepresentation",
    "AudioSignal",
    "VideoSignal",
    "EncodedRepresentation",
    "Index",
    "ImageValue",
    "NormalizedImageValue",
    "ImageFeatureValue",
    "LabelsType",
    "HypothesisType",
    "LengthsType",
    "LogprobsType",
    "ProbsType",
    "LossType",
    "RegressionValuesType",
    "CategoricalValuesType",
    "PredictionsType",
    "LogitsType",
    "MaskType",
    "Target",
    "ClassificationTarget",
    "SpectrogramType",
    "MelSpectrogramType",
    "MFCCSpectrogramType",
    "EmbeddedTextType",
    "StringType",
    "StringLabel",
    "IntType",
    "FloatType",
    "TokenIndex",
    "Length",
    "NormalDistributionSamplesType",
    "NormalDistributionMeanType",
    "NormalDistributionLogVarianceType",
    "SequenceToSequenceAlignmentType",
    "TokenDurationType",
    "TokenLogDurationType",
    "LogDeterminantType",
]

_SAME = NeuralTypeComparisonResult.SAME
_PARAMS = NeuralTypeComparisonResult.SAME_TYPE_INCOMPATIBLE_PARAMS


class ElementType(ABC):  # noqa: B024 - instantiable on purpose: it is the most general element type
    """Abstract element type: the root every element type derives from."""

    def __str__(self) -> str:
        if under_compiler():
            return "SuppressedForTorchScript"
        return self.__doc__ or type(self).__name__

    def __repr__(self) -> str:
        if under_compiler():
            return "SuppressedForTorchScript"
        return type(self).__name__

    @property
    def type_parameters(self) -> dict[str, Any]:
        """Parameters that instances of the same class must agree on (``None`` matches anything)."""
        return {}

    @property
    def fields(self) -> Any:
        """Named fields of a structured element type, or None; equal fields are required for SAME."""
        return None

    def compare(self, second: ElementType) -> NeuralTypeComparisonResult:
        """Compare this element type (A) with ``second`` (B).

        Returns:
            SAME for the same class with compatible parameters and equal fields, LESS when A's class derives
            from B's, GREATER when B's class derives from A's, SAME_TYPE_INCOMPATIBLE_PARAMS when parameters
            clash, and INCOMPATIBLE otherwise.
        """
        if under_compiler():
            return _SAME
        first_cls, second_cls = type(self), type(second)
        if first_cls is not second_cls:
            if issubclass(first_cls, second_cls):
                return NeuralTypeComparisonResult.LESS
            if issubclass(second_cls, first_cls):
                return NeuralTypeComparisonResult.GREATER
            return NeuralTypeComparisonResult.INCOMPATIBLE
        first_params, second_params = self.type_parameters, second.type_parameters
        if first_params.keys() != second_params.keys():
            return _PARAMS
        for key, value in first_params.items():
            other = second_params[key]
            if value is not None and other is not None and value != other:
                return _PARAMS
        if self.fields == second.fields:
            return _SAME
        return NeuralTypeComparisonResult.INCOMPATIBLE


class VoidType(ElementType):
    """Void-like type: compatible with any other type when it is the first operand of a comparison."""

    def compare(self, second: ElementType) -> NeuralTypeComparisonResult:
        """Return SAME for any ``second``: a void declaration accepts everything."""
        return _SAME


class BoolType(ElementType):
    """Element type representing a single boolean value."""


class ChannelType(ElementType):
    """Element type to represent convolutional input/output channels."""


class EmbeddedTextType(ChannelType):
    """Element type to represent embedded text."""


class LogitsType(ElementType):
    """Element type to represent logits."""


class ProbsType(ElementType):
    """Element type to represent probabilities, e.g. the output of a softmax."""


class LogprobsType(ElementType):
    """Element type to represent log-probabilities, e.g. the output of a log-softmax."""


class LabelsType(ElementType):
    """Element type to represent labels, such as class ids or token ids."""


class HypothesisType(LabelsType):
    """Element type to represent decoded hypotheses of a model."""


class LengthsType(ElementType):
    """Element type representing the lengths of the sequences in a batch."""


class LossType(ElementType):
    """Element type to represent the output of a loss."""


class EncodedRepresentation(ChannelType):
    """Element type to represent the output of an encoder."""


class AcousticEncodedRepresentation(EncodedRepresentation):
    """Element type to represent the output of an acoustic encoder."""


class AudioSignal(ElementType):
    """Element type to represent an audio signal.

    Args:
        freq: The sampling rate in Hz, or None when any rate is acceptable.
    """

    def __init__(self, freq: int | None = None) -> None:
        self._freq = freq

    @property
    def type_parameters(self) -> dict[str, Any]:
        """The sampling frequency: ``{"freq": freq}``."""
        return {"freq": self._freq}


class VideoSignal(ElementType):
    """Element type to represent a video signal.

    Args:
        fps: The frame rate, or None when any rate is acceptable.
    """

    def __init__(self, fps: int | None = None) -> None:
        self._fps = fps

    @property
    def type_parameters(self) -> dict[str, Any]:
        """The frame rate: ``{"fps": fps}``."""
        return {"fps": self._fps}


class SpectrogramType(ChannelType):
    """Element type to represent a generic spectrogram."""


class MelSpectrogramType(SpectrogramType):
    """Element type to represent a mel spectrogram."""


class MFCCSpectrogramType(SpectrogramType):
    """Element type to represent MFCC features."""


class PredictionsType(LabelsType):
    """Element type to represent the predictions of a model."""


class RegressionValuesType(PredictionsType):
    """Element type to represent predicted regression values."""


class CategoricalValuesType(PredictionsType):
    """Element type to represent predicted categorical values."""


class MaskType(PredictionsType):
    """Element type to represent a boolean mask."""


class Index(ElementType):
    """Element type to represent an index into a collection."""


class Target(ElementType):
    """Element type to represent a target value, e.g. in a dataset."""


class ClassificationTarget(Target):
    """Element type to represent the target class of a classification task."""


class ImageValue(ElementType):
    """Element type to represent the value of an image pixel."""


class NormalizedImageValue(ImageValue):
    """Element type to represent the normalized value of an image pixel."""


class ImageFeatureValue(ImageValue):
    """Element type to represent a feature extracted from an image."""


class StringType(ElementType):
    """Element type to represent a Python string."""


class StringLabel(StringType):
    """Element type to represent a label given as a string."""


class IntType(ElementType):
    """Element type representing a single integer."""


class FloatType(ElementType):
    """Element type representing a single float."""


class TokenIndex(IntType):
    """Element type representing the index of a token."""


class Length(IntType):
    """Element type representing a length, such as the number of tokens."""


class ProbabilityDistributionSamplesType(ElementType):
    """Element type to represent samples drawn from a probability distribution."""


class NormalDistributionSamplesType(ProbabilityDistributionSamplesType):
    """Element type to represent samples drawn from a normal distribution."""


class NormalDistributionMeanType(ElementType):
    """Element type to represent the mean of a normal distribution."""


class NormalDistributionLogVarianceType(ElementType):
    """Element type to represent the log-variance of a normal distribution."""


class SequenceToSequenceAlignmentType(ElementType):
    """Element type to represent an alignment between two sequences, e.g. text and speech."""


class TokenDurationType(ElementType):
    """Element type to represent the duration of a token."""


class TokenLogDurationType(ElementType):
    """Element type to represent the log-duration of a token."""


class LogDeterminantType(ElementType):
    """Element type to represent the log-determinant of a matrix."""
