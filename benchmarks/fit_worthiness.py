"""Fit the check-worthiness model and write the file the workbench ships
(``workbench/intake/worthiness_model.json``).

Run from the repository root: ``python benchmarks/fit_worthiness.py`` (``make fit-worthiness``
installs scikit-learn, the ``bench`` extra, first). The output is deterministic: the solver is
deterministic, the rows are read in file order, and the JSON has sorted keys and rounded weights,
so refitting on the same data writes the same file.

What it is fitted on, and why so
================================

The labelled sentences of ``../shared/data/checkworthiness`` (see its README), training files
only: ClaimBuster 2.5xNCS (28.6% check-worthy; annotators judged each sentence) and the
CheckThat! 2019 and 2020 training debates (1-3% check-worthy; a fact-checking organisation
checked the line). The five debates both CheckThat! sets hold are taken once, from 2020.

Weighting: unweighted, the debates (59,000 lines, 1.5% positive) would outweigh ClaimBuster six
to one and teach the model that almost nothing is worth checking, squeezing every news sentence
into the bottom of the scale. So the debate lines together weigh as much as ClaimBuster's
sentences: ClaimBuster teaches what a checkable factual sentence looks like, the debates what
fact-checkers actually picked. The score is the model's probability on that half-and-half mix
(about 15% check-worthy), not on any one set.

Regularisation: ``C`` = 5 was picked among 1, 3, 5, 10 and 30 on the same cross-validation folds
``benchmarks/worthiness.py`` reports (10 and 30 suit ClaimBuster, 1 to 3 the debates; 5 meets every
target on both), so its figures are a little optimistic for that one choice.

Model: logistic regression (L2, ``C`` below) over the features of
``workbench.intake.worthiness.sentence_features``, each present feature valued 1/sqrt(how many
the sentence has). Features seen in fewer than ``MIN_SENTENCES`` training sentences are left out
before fitting, and weights under ``MIN_WEIGHT`` in size after, which keeps the file small.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from datasets import CheckworthySentence, checkworthiness  # noqa: E402

from workbench.intake.worthiness import MODEL_FILE, feature_value, sentence_features  # noqa: E402

OUTPUT = REPO / "workbench" / "intake" / MODEL_FILE
C = 5.0  # see "Regularisation" above
MIN_SENTENCES = 2
MIN_WEIGHT = 0.05
DIGITS = 4
LICENCES = {
    "claimbuster_2.5xNCS": "ClaimBuster (Arslan et al. 2020), utaresearch/claimbuster-spotter, "
    "GPL-3.0; Zenodo record 10.5281/zenodo.3609356, open access",
    "ct19t1_train": "CLEF CheckThat! 2019 Task 1 training debates "
    "(telsayed/clef2019-factchecking-task1), free for general research use",
    "ct20t5_train": "CLEF CheckThat! 2020 Task 5 training debates "
    "(sshaar/clef2020-factchecking-task5), free for general research use",
}


class LinearModel:
    """What a fit returns: an intercept and a weight per feature name; scores as the shipped
    model does (without the sigmoid, which changes no order)."""

    def __init__(self, intercept: float, weights: dict[str, float]) -> None:
        self.intercept = intercept
        self.weights = weights

    def decision(self, texts: Sequence[str]) -> list[float]:
        scores = []
        for text in texts:
            found = sentence_features(text.strip())
            total = sum(self.weights.get(f, 0.0) for f in found)
            scores.append(self.intercept + feature_value(found) * total)
        return scores


def fit(
    texts: Sequence[str], labels: Sequence[int], sample_weight: Sequence[float] | None = None
) -> LinearModel:
    """A logistic regression over the sentences' features, pruned as the module docstring says."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    features = [sentence_features(text.strip()) for text in texts]
    seen = Counter(name for found in features for name in found)
    rows = [
        {name: feature_value(found) for name in found if seen[name] >= MIN_SENTENCES}
        for found in features
    ]
    vectorizer = DictVectorizer()
    matrix = vectorizer.fit_transform(rows)
    model = LogisticRegression(C=C, max_iter=5000, solver="lbfgs")
    model.fit(matrix, list(labels), sample_weight=sample_weight)
    weights = {
        name: round(float(weight), DIGITS)
        for name, weight in zip(vectorizer.get_feature_names_out(), model.coef_[0], strict=True)
        if abs(weight) >= MIN_WEIGHT
    }
    return LinearModel(round(float(model.intercept_[0]), DIGITS), weights)


def training_sentences() -> tuple[list[CheckworthySentence], list[float], dict[str, int]]:
    """Every training sentence with its weight (see the module docstring), and the count of each
    set's sentences."""
    claimbuster = checkworthiness("claimbuster_2.5xNCS")
    ct20 = checkworthiness("ct20t5_train")
    in_2020 = {s.debate for s in ct20}
    ct19 = [s for s in checkworthiness("ct19t1_train") if s.debate not in in_2020]
    debates = ct19 + ct20
    debate_weight = len(claimbuster) / len(debates)
    sentences = claimbuster + debates
    weights = [1.0] * len(claimbuster) + [debate_weight] * len(debates)
    counts = {"claimbuster_2.5xNCS": len(claimbuster), "ct19t1_train": len(ct19)}
    counts["ct20t5_train"] = len(ct20)
    return sentences, weights, counts


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where to write the model")
    args = parser.parse_args(argv)
    sentences, weights, counts = training_sentences()
    model = fit([s.text for s in sentences], [s.label for s in sentences], weights)
    document = {
        "about": "Check-worthiness model of workbench.intake.worthiness: a logistic regression "
        "over sentence_features, each present feature valued 1/sqrt(their number); "
        "score = sigmoid(intercept + value * sum of the weights of the present features).",
        "command": "python benchmarks/fit_worthiness.py (make fit-worthiness)",
        "fitted_on": {
            name: {"sentences": n, "licence": LICENCES[name]} for name, n in counts.items()
        },
        "weighting": "ClaimBuster 1 each; the debate lines together weigh as much as ClaimBuster "
        "(the five debates in both CheckThat! sets taken once, from 2020)",
        "settings": {
            "C": C,
            "min_sentences": MIN_SENTENCES,
            "min_weight": MIN_WEIGHT,
            "solver": "scikit-learn LogisticRegression lbfgs, L2",
        },
        "fitted_at": _fit_date(),
        "intercept": model.intercept,
        "weights": dict(sorted(model.weights.items())),
    }
    args.output.write_text(
        json.dumps(document, indent=0, sort_keys=True, ensure_ascii=False) + "\n"
    )
    size = args.output.stat().st_size
    print(f"wrote {args.output} ({len(model.weights):,} weights, {size:,} bytes)")


def _fit_date() -> str:
    # The day, not the time: a refit on the same day writes the same bytes.
    return datetime.now(UTC).date().isoformat()


if __name__ == "__main__":
    main()
