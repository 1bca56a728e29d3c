"""The trained classifier: weights from its file in, probabilities out; a stale or broken file is a clear error."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from voiceguide.classifier import REJECT, from_matrix, load_classifier
from voiceguide.errors import DataError, DataErrors
from voiceguide.guide import CLASSIFIER, Guide, load_guide

from .conftest import REPO


def test_saved_and_loaded_it_scores_the_same(tmp_path: Path) -> None:
    model = from_matrix({"w:pain": 0, "w:stop": 1}, ("fact.symptoms", "control.stop", REJECT),
                        [[3.0, 0.0, 0.0], [0.0, 3.0, 0.0]], [0.0, 0.0, 1.0])
    model.save(tmp_path / "m.npz")
    loaded = load_classifier(tmp_path / "m.npz")
    for features in (["w:pain"], ["w:stop", "w:stop"], ["w:unknown"], []):
        assert loaded.probabilities(features) == pytest.approx(model.probabilities(features))
    assert max(loaded.probabilities(["w:pain"]).items(), key=lambda kv: kv[1])[0] == "fact.symptoms"
    assert max(loaded.probabilities([]).items(), key=lambda kv: kv[1])[0] == REJECT
    assert loaded.probabilities(["w:pain"])["fact.symptoms"] == pytest.approx(math.exp(3) / (math.exp(3) + 1 + math.e))


def test_a_broken_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    shipped = (REPO / "intents" / "classifier.npz").read_bytes()
    # not numpy, empty, cut short (zipfile's and numpy's own errors), line ends rewritten
    for damaged in (b"not numpy", b"", shipped[:1000], shipped[: len(shipped) // 2],
                    shipped.replace(b"\n", b"\r\n")):
        path.write_bytes(damaged)
        with pytest.raises(DataError) as caught:
            load_classifier(path)
        assert str(caught.value).startswith(f"{path}: not a classifier file"), damaged[:20]
        assert "pickle" not in str(caught.value)


def test_a_classifier_trained_for_other_intents_is_refused(data_copy: tuple[Path, Path]) -> None:
    content, intents = data_copy
    facts = intents / "facts.yaml"
    facts.write_text(facts.read_text().replace("fact.outlook:", "fact.future:"))
    with pytest.raises(DataErrors) as caught:
        load_guide(content, intents)
    assert any(str(e).startswith(f"{intents / CLASSIFIER}: trained for intents that are gone (fact.outlook)")
               for e in caught.value.errors)


def test_without_a_classifier_file_the_matcher_decides_alone(guide_without_classifier: Guide) -> None:
    guide = guide_without_classifier  # loaded from a copy of the data without the file (conftest.py)
    assert guide.understander.classifier is None
    assert guide.understander.understand("what are the symptoms").intent is not None


def test_the_shipped_file_is_in_the_data_copy(data_copy: tuple[Path, Path]) -> None:
    # The package data must carry the arrays, or an installed guide would run without them.
    _, intents = data_copy
    assert (intents / CLASSIFIER).is_file()
    assert shutil.disk_usage(intents).free > 0
