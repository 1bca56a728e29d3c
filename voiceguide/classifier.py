"""A small trained intent classifier: a linear model over the matcher's features.

Trained offline by ``scripts/train_classifier.py`` (scikit-learn, on the
expanded templates and the dev writers' phrasings) and shipped as numpy
arrays in ``intents/classifier.npz``: feature names, class names, a weight
matrix and a bias. Scoring a question is a sum of a few weight rows and a
softmax, so no training library is imported at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DataError

REJECT = "reject"
"""The class of questions the guide should not answer from its content."""


@dataclass(frozen=True, eq=False)
class Classifier:
    """A trained linear classifier over named features."""

    features: dict[str, int]
    """Feature name -> row of ``weights``."""
    classes: tuple[str, ...]
    """Intent names (and REJECT), one per column of ``weights``."""
    weights: np.ndarray
    """Feature rows by class columns, float32."""
    bias: np.ndarray
    """One per class."""

    def probabilities(self, features: list[str]) -> dict[str, float]:
        """Each class's probability for a question with these features."""
        rows = [self.features[f] for f in dict.fromkeys(features) if f in self.features]
        logits = self.bias + self.weights[rows].sum(axis=0) if rows else self.bias.copy()
        logits = logits - logits.max()
        exp = np.exp(logits)
        probs = exp / exp.sum()
        return dict(zip(self.classes, probs.tolist(), strict=True))

    def save(self, path: Path) -> None:
        """Write the arrays (numpy's own format, no pickled objects). Weights are stored as
        16-bit floats, which halves the file; they are read back as 32-bit."""
        names = sorted(self.features, key=self.features.__getitem__)
        np.savez_compressed(path, features=np.array(names), classes=np.array(self.classes),
                            weights=self.weights.astype(np.float16), bias=self.bias.astype(np.float32))


def load_classifier(path: Path) -> Classifier:
    """Read a classifier saved by :meth:`Classifier.save`; DataError if it is not one."""
    try:
        with np.load(path, allow_pickle=False) as arrays:
            names = [str(n) for n in arrays["features"]]
            classes = tuple(str(c) for c in arrays["classes"])
            weights = np.asarray(arrays["weights"], dtype=np.float32)
            bias = np.asarray(arrays["bias"], dtype=np.float32)
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(str(path), None, f"not a classifier file: {exc}") from exc
    if weights.shape != (len(names), len(classes)) or bias.shape != (len(classes),):
        raise DataError(str(path), None, "classifier arrays do not fit together")
    return Classifier({n: i for i, n in enumerate(names)}, classes, weights, bias)
