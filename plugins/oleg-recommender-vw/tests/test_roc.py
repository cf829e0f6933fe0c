import numpy as np
import pytest
from oleg.metrics import auc
from oleg_recommender_vw.roc import plot_roc, roc_curve


def test_roc_curves_of_two_models_in_one_png(tmp_path) -> None:
    rng = np.random.default_rng(0)
    labels = rng.random(500) < 0.4
    good = labels + rng.normal(0, 0.8, 500)
    noise = rng.random(500)
    curves = [roc_curve("champion", labels, good), roc_curve("challenger", labels, noise)]
    for curve, scores in zip(curves, (good, noise), strict=True):
        assert curve.auc == pytest.approx(auc(labels.astype(float), scores))
        assert (curve.fpr[0], curve.tpr[0], curve.fpr[-1], curve.tpr[-1]) == (0, 0, 1, 1)
        assert np.all(np.diff(curve.fpr) >= 0) and np.all(np.diff(curve.tpr) >= 0)
        assert np.trapezoid(curve.tpr, curve.fpr) == pytest.approx(curve.auc)
    assert curves[0].auc > 0.7 > curves[1].auc
    png = plot_roc(curves, tmp_path / "roc" / "roc.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_roc_of_one_class_is_an_error() -> None:
    with pytest.raises(ValueError, match="only one class"):
        roc_curve("m", [1, 1, 1], [0.1, 0.2, 0.3])
