"""Fit the two matching models and print their coefficients for workbench/matching.py.

- Duplicate model: logistic regression on the 3,676 MSRP news sentence pairs (is the second
  sentence the same claim as the first?), over the overlap and alignment features. The first
  sentences form the archive whose word counts weigh the features, as the app's index would.
  Five-fold cross-validated scores choose the threshold: the lowest score at which the app's
  decision (score and no conflicting fact) has precision 0.905, so recall is as high as allowed.
- Similarity model: logistic regression on the CheckThat! 2022 training queries, over the
  candidates the app's own index offers after `claims import` of the 14,231 checked claims
  (gold claim = 1, other candidates = 0). Dev and devtest are left for benchmarks/claim_matching.py.

Run from the repository root: python benchmarks/fit_matching.py (needs numpy: make bench installs
it). Nothing is written; paste the printed models into workbench/matching.py.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from datasets import checkthat_archive, checkthat_split, msrp_train  # noqa: E402

from workbench.config import Settings  # noqa: E402
from workbench.db import make_engine, migrate, read_session, write_session  # noqa: E402
from workbench.intake.archive import import_archive, parse_archive  # noqa: E402
from workbench.matching.facts import compare_texts  # noqa: E402
from workbench.matching.normalize import (  # noqa: E402
    content_words,
    duplicate_features,
    idf_from_counts,
    normalize,
    similarity_features,
)
from workbench.matching.similar import candidates_for  # noqa: E402
from workbench.matching.social import posted_on  # noqa: E402

MIN_PRECISION = 0.90
MARGIN = 0.005  # a cross-validated figure moves a little with each refit


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 50) -> np.ndarray:
    """Weights then bias, by Newton's method on the L2-penalised log-likelihood (bias free)."""
    design = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-design @ w))
        gradient = design.T @ (p - y) + penalty * w
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def predict(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(x @ w[:-1] + w[-1])))


def threshold_for_precision(scores: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(threshold, precision, recall) at the lowest threshold with precision >= MIN_PRECISION."""
    order = np.argsort(-scores)
    hits = np.cumsum(y[order])
    precision = hits / np.arange(1, len(y) + 1)
    ok = np.where(precision >= MIN_PRECISION)[0]
    # Ties: a threshold admits every pair with that score, so stop at a score boundary.
    best = None
    for i in ok[::-1]:
        if i + 1 == len(order) or scores[order[i + 1]] < scores[order[i]]:
            best = i
            break
    assert best is not None
    return float(scores[order[best]]), float(precision[best]), float(hits[best] / y.sum())


def auc(scores: np.ndarray, y: np.ndarray) -> float:
    ranks = scores.argsort().argsort() + 1
    positives = y.sum()
    return float(
        (ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * (len(y) - positives))
    )


def msrp_pairs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Duplicate features, labels, and whether the pair's facts conflict (never a duplicate)."""
    pairs = msrp_train()
    archive = [normalize(p.first) for p in pairs]
    queries = [normalize(p.second) for p in pairs]
    counts = Counter(w for text in archive for w in set(content_words(text)))
    x = []
    conflicts = []
    for pair, query, candidate in zip(pairs, queries, archive, strict=True):
        known = {w: counts.get(w, 0) for w in content_words(query)}
        x.append(duplicate_features(query, candidate, idf_from_counts(known, len(archive))))
        conflicts.append(compare_texts(pair.second, query, pair.first, candidate).conflicting)
    return np.array(x), np.array([int(p.paraphrase) for p in pairs]), np.array(conflicts)


def cross_validated_duplicate_scores(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Five-fold out-of-sample duplicate scores, 0-100 as the app rounds them."""
    folds = np.random.default_rng(0).permutation(len(y)) % 5
    cv = np.zeros(len(y))
    for fold in range(5):
        w = fit_logistic(x[folds != fold], y[folds != fold])
        cv[folds == fold] = predict(w, x[folds == fold])
    return np.round(100 * cv, 1)


def fit_duplicate_model() -> None:
    """The threshold is the lowest cross-validated score at which the decision the app makes
    (score at or above it, and no fact conflicting) has precision MIN_PRECISION + MARGIN, with
    our rule winning over MSRP's labels: a pair whose facts conflict is not the same claim."""
    x, y, conflicts = msrp_pairs()
    cv = cross_validated_duplicate_scores(x, y)
    ours = (y == 1) & ~conflicts
    threshold = None
    for candidate in np.arange(50.0, 99.0, 0.5):
        decided = (cv >= candidate) & ~conflicts
        if decided.sum() and (decided & ours).sum() / decided.sum() >= MIN_PRECISION + MARGIN:
            threshold = float(candidate)
            break
    assert threshold is not None
    decided = (cv >= threshold) & ~conflicts
    w = fit_logistic(x, y)
    print("Duplicate model (MSRP, 5-fold cross-validated, facts compared):")
    print(
        f"  {int(conflicts[y == 1].sum())} of {int(y.sum())} MSRP paraphrases have a fact that "
        f"conflicts (our rule: not the same claim); {int(conflicts[y == 0].sum())} of "
        f"{int((y == 0).sum())} non-paraphrases do"
    )
    for name, gold in (("our rule", ours), ("MSRP labels", y == 1)):
        tp = int((decided & gold).sum())
        print(
            f"  threshold {threshold:.1f}, {name}: precision {tp / decided.sum():.3f}, "
            f"recall {tp / gold.sum():.3f}"
        )
    print(f"  ROC AUC {auc(cv, y):.3f}")
    print(f"  weights={tuple(round(float(v), 3) for v in w[:-1])},")
    print(f"  bias={round(float(w[-1]), 3)},")


def fit_similarity_model() -> None:
    archive = checkthat_archive()
    train = checkthat_split("train")
    gold = train.gold
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(Settings(database_url=f"sqlite:///{tmp}/fit.db"))
        migrate(engine)
        # The app's own reader, not the loader's records: the model is fitted on what
        # `claims import` stores.
        with archive.path.open(encoding="utf-8") as handle:
            records = parse_archive(handle, archive.path.name)
        with write_session(engine) as session:
            import_archive(session, records)
        x, y = [], []
        with read_session(engine) as session:
            for tweet in train.tweets:
                wanted = gold[tweet.id]
                query, rows = candidates_for(session, tweet.text)
                posted = posted_on(tweet.text)
                for claim in rows:
                    x.append(
                        similarity_features(
                            query.normalized,
                            claim.normalized_text,
                            claim.normalized_title,
                            query.idf,
                            posted,
                            claim.day,
                        )
                    )
                    y.append(1 if claim.external_id in wanted else 0)
        engine.dispose()
    w = fit_logistic(np.array(x), np.array(y))
    print(f"Similarity model (CheckThat! train: {len(gold)} queries, {len(y)} candidates):")
    print(f"  weights={tuple(round(float(v), 3) for v in w[:-1])},")
    print(f"  bias={round(float(w[-1]), 3)},")


if __name__ == "__main__":
    fit_duplicate_model()
    fit_similarity_model()
