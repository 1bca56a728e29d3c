"""A small trained intent classifier: a linear model over the matcher's features.

Trained offline by ``scripts/train_classifier.py`` (scikit-learn, on the
expanded templates and the dev writers' phrasings) and shipped as numpy
arrays in ``intents/classifier.npz``: feature names, class names, a weight
matrix and a bias. Scoring a question is a sum of a few weight rows and a
softmax, so no training library is imported at run time. In memory (and in the
start-up cache) the weights are a flat ``array('f')``, not numpy: a typed
question then never imports numpy, which took longer than all the rest of a
warm ``ask`` (``bench/startup.py``); a question sums only a few dozen rows.
"""

from __future__ import annotations

import math
import zipfile
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import DataError

if TYPE_CHECKING:
    import numpy as np

REJECT = "reject"
"""The class of questions the guide should not answer from its content."""


@dataclass(frozen=True, eq=False)
class Classifier:
    """A trained linear classifier over named features."""

    features: dict[str, int]
    """Feature name -> row of ``weights``."""
    classes: tuple[str, ...]
    """Intent names (and REJECT), one per column of ``weights``."""
    weights: array[float]
    """Feature rows by class columns, flat and row after row, 32-bit floats."""
    bias: tuple[float, ...]
    """One per class."""

    def probabilities(self, features: list[str]) -> dict[str, float]:
        """Each class's probability for a question with these features."""
        width = len(self.classes)
        logits = list(self.bias)
        for feature in dict.fromkeys(features):
            row = self.features.get(feature)
            if row is not None:
                start = row * width
                logits = [a + b for a, b in zip(logits, self.weights[start:start + width], strict=True)]
        top = max(logits)
        exp = [math.exp(x - top) for x in logits]
        total = sum(exp)
        return {name: e / total for name, e in zip(self.classes, exp, strict=True)}

    def save(self, path: Path) -> None:
        """Write the arrays (numpy's own format, no pickled objects). Weights are stored as
        16-bit floats, which halves the file; they are read back as 32-bit."""
        import numpy as np

        names = sorted(self.features, key=self.features.__getitem__)
        matrix = np.frombuffer(self.weights, dtype=np.float32).reshape(len(names), len(self.classes))
        np.savez_compressed(path, features=np.array(names), classes=np.array(self.classes),
                            weights=matrix.astype(np.float16), bias=np.array(self.bias, dtype=np.float32))


def from_matrix(features: dict[str, int], classes: Sequence[str], weights: np.ndarray | Any,
                bias: Sequence[float] | Any) -> Classifier:
    """A classifier from a (features, classes) weight matrix and a bias, numpy or nested lists."""
    import numpy as np

    matrix = np.asarray(weights, dtype=np.float32)
    if sorted(features.values()) != list(range(len(features))):
        raise ValueError("the feature rows are not 0 to n-1, one each")
    if np.ndim(bias) != 1 or matrix.shape != (len(features), len(classes)) or len(bias) != len(classes):
        raise ValueError(f"weights {matrix.shape} and bias {len(bias)} do not fit "
                         f"{len(features)} features and {len(classes)} classes")
    flat: array[float] = array("f")
    flat.frombytes(np.ascontiguousarray(matrix).tobytes())
    return Classifier(dict(features), tuple(classes), flat, tuple(float(b) for b in bias))


def load_classifier(path: Path) -> Classifier:
    """Read a classifier saved by :meth:`Classifier.save`; DataError if it is not one."""
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as arrays:
            names = [str(n) for n in arrays["features"]]
            classes = tuple(str(c) for c in arrays["classes"])
            weights = np.asarray(arrays["weights"], dtype=np.float32)
            bias = np.asarray(arrays["bias"], dtype=np.float32)
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        # numpy's own words advise allow_pickle, which is never the fix here: the file is damaged
        reason = ("damaged or cut short" if isinstance(exc, EOFError | zipfile.BadZipFile | ValueError)
                  else f"no {exc.args[0].split()[0]} array" if isinstance(exc, KeyError) and exc.args
                  else getattr(exc, "strerror", None) or str(exc))
        raise DataError(str(path), None, f"not a classifier file ({reason}); rebuild it with "
                        "scripts/train_classifier.py") from None
    if weights.shape != (len(names), len(classes)) or bias.shape != (len(classes),):
        raise DataError(str(path), None, "classifier arrays do not fit together")
    return from_matrix({n: i for i, n in enumerate(names)}, classes, weights, bias.tolist())
