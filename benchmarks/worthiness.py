"""Check-worthiness on real labelled sentences: the learned score against the rule score it replaced
and a plain TF-IDF + logistic regression baseline, all measured in the same run.

What it measures
================

1. **ClaimBuster 2.5xNCS, 4-fold cross-validation** (stratified, seed fixed): ROC AUC and average
   precision of the old rule score (``RULE_SCORE`` below, the weights the workbench used before),
   of TF-IDF (word 1-2 grams) + logistic regression and of the new model, both fitted on the
   training folds of each fold only (ClaimBuster alone, so no debate sentence it shares leaks in).
   Targets: AUC >= 0.93, AP >= 0.85.
2. **CheckThat! 2019 and 2020 training debates, leave-debates-out**: each set's debates in
   ``DEBATE_FOLDS`` groups; each group is scored by models fitted on the other debates of the
   set. MAP over debates (average precision of each debate's lines ranked by score) and P@10
   (mean over debates), for the rule score, the baseline and the new model. Target: the new
   model's MAP above the baseline's.
3. **Nothing thrown away**: how many check-worthy (label 1) sentences of each set the splitter
   judges not to be claims. None is dropped any more (they are stored dismissed with the
   reason); the count says how many an editor would have to restore, and how many the rescue
   rule (questions and short sentences that state something checkable) keeps open.

The shipped model (``benchmarks/fit_worthiness.py``) is fitted on all three sets at once; these
figures are cross-validated so that none is measured on a sentence its model saw.

Run from the repository root: ``python benchmarks/worthiness.py`` (``make bench``); needs the
``bench`` extra (scikit-learn, numpy). About two minutes on a 2-core machine.
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from datasets import CheckworthySentence, checkworthiness  # noqa: E402
from fit_worthiness import fit  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import average_precision_score, roc_auc_score  # noqa: E402
from sklearn.model_selection import GroupKFold, StratifiedKFold  # noqa: E402

from workbench.intake.claim_spotting import skip_reason  # noqa: E402

SEED = 20240601
CLAIMBUSTER_FOLDS = 4
DEBATE_FOLDS = 5
TARGET_AUC, TARGET_AP = 0.93, 0.85

Scorer = Callable[[Sequence[str], Sequence[int], Sequence[str]], list[float]]

# --- The rule score the workbench used before (its weights, kept here to compare against) ------

_DIGIT = re.compile(r"\d")
_QUANTITY = re.compile(
    r"[%$€£¥₹]|\b(?i:million|billion|trillion|thousand|hundred|dozens?|percent|per\s+cent"
    r"|percentage|half|twice|double[ds]?|tripled?|quarter)\b|\d(?:m|bn|tn|k)\b"
)
_ATTRIBUTION = re.compile(
    r"\b(?i:said|says|say|told|tells|according\s+to|claimed|claims|reported|reports"
    r"|announced|estimated|estimates|stated|confirmed|revealed|insisted|warned)\b"
)
_COMPARISON = re.compile(
    r"\b(?i:more|less|fewer|greater|higher|lower)\s+than\b"
    r"|\b(?i:largest|biggest|highest|lowest|smallest|fastest|worst|best|most|least"
    r"|record|records|unprecedented)\b"
)
_QUOTE_MARK = re.compile(r"[\"“”«»„]")
_CAPITALISED = re.compile(r"(?<![\w'’])[A-Z][\w'’.-]*")
_FIRST_WORD = re.compile(r"[^\W\d_]+")
_WORD = re.compile(r"(?<!\S)\S*?[^\W_]\S*")
_NOT_ENTITIES = frozenset(
    "I A An The This That These Those It He She We They You His Her Its Our Their My Your "
    "But And Or So If In On At As".split()
)


def rule_score(text: str) -> float:
    """The rule score before the learned model (0 for a sentence the splitter skipped)."""
    text = text.strip()
    if skip_reason(text) is not None:
        return 0.0
    score = 0.10
    score += 0.25 if _DIGIT.search(text) else 0
    score += 0.15 if _QUANTITY.search(text) else 0
    score += 0.20 if _ATTRIBUTION.search(text) else 0
    score += 0.10 if _QUOTE_MARK.search(text) else 0
    score += 0.15 if _COMPARISON.search(text) else 0
    first = _FIRST_WORD.search(text)
    after = first.end() if first else 0
    names = sum(1 for m in _CAPITALISED.finditer(text, after) if m.group() not in _NOT_ENTITIES)
    score += min(0.15, 0.05 * names)
    words = len(_WORD.findall(text))
    if words < 6 or words > 45:
        score *= 0.85
    return min(1.0, score)


# --- The three scorers, each fitted on training texts and scoring test texts --------------------


def rule(train: Sequence[str], labels: Sequence[int], test: Sequence[str]) -> list[float]:
    return [rule_score(text) for text in test]


def baseline(train: Sequence[str], labels: Sequence[int], test: Sequence[str]) -> list[float]:
    """TF-IDF over word 1-2 grams + logistic regression, scikit-learn's defaults."""
    vectorizer = TfidfVectorizer(ngram_range=(1, 2))
    model = LogisticRegression(max_iter=2000).fit(vectorizer.fit_transform(train), labels)
    return list(model.predict_proba(vectorizer.transform(test))[:, 1])


def learned(train: Sequence[str], labels: Sequence[int], test: Sequence[str]) -> list[float]:
    """The workbench's model, fitted with the shipped settings on the training part only."""
    return fit(train, labels).decision(test)


SCORERS: dict[str, Scorer] = {"rule score": rule, "TF-IDF + LR": baseline, "new model": learned}


# --- Measures ---------------------------------------------------------------------------------


def claimbuster_cv(sentences: list[CheckworthySentence]) -> dict[str, tuple[float, float]]:
    texts = [s.text for s in sentences]
    labels = np.array([s.label for s in sentences])
    folds = StratifiedKFold(CLAIMBUSTER_FOLDS, shuffle=True, random_state=SEED)
    measured: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for train, test in folds.split(texts, labels):
        train_texts = [texts[i] for i in train]
        test_texts = [texts[i] for i in test]
        for name, scorer in SCORERS.items():
            scores = scorer(train_texts, list(labels[train]), test_texts)
            auc = roc_auc_score(labels[test], scores)
            measured[name].append((auc, average_precision_score(labels[test], scores)))
    return {name: tuple(np.mean(values, axis=0)) for name, values in measured.items()}


def debates_left_out(sentences: list[CheckworthySentence]) -> dict[str, tuple[float, float]]:
    """MAP over debates and mean P@10, each debate scored by models fitted on other debates."""
    texts = [s.text for s in sentences]
    labels = np.array([s.label for s in sentences])
    debates = np.array([s.debate for s in sentences])
    per_debate: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for train, test in GroupKFold(DEBATE_FOLDS).split(texts, labels, debates):
        train_texts = [texts[i] for i in train]
        test_texts = [texts[i] for i in test]
        for name, scorer in SCORERS.items():
            scores = np.array(scorer(train_texts, list(labels[train]), test_texts))
            for debate in sorted(set(debates[test])):
                mine = debates[test] == debate
                truth, ranked = labels[test][mine], scores[mine]
                if truth.sum() == 0:
                    continue  # no check-worthy line: average precision is undefined
                # Ties keep the order the lines were spoken in (a stable sort).
                top = truth[np.argsort(-ranked, kind="stable")][:10]
                per_debate[name].append((average_precision_score(truth, ranked), top.mean()))
    return {name: tuple(np.mean(values, axis=0)) for name, values in per_debate.items()}


def not_claims(sentences: list[CheckworthySentence]) -> Counter[str]:
    """Why the splitter sets check-worthy sentences aside (they start dismissed, not dropped)."""
    return Counter(
        reason for s in sentences if s.label == 1 and (reason := skip_reason(s.text)) is not None
    )


def main() -> None:
    started = time.perf_counter()
    claimbuster = checkworthiness("claimbuster_2.5xNCS")
    print(f"ClaimBuster 2.5xNCS, {CLAIMBUSTER_FOLDS}-fold cross-validation ({len(claimbuster):,}):")
    print(f"  {'':12} {'ROC AUC':>8} {'AP':>7}")
    for name, (auc, ap) in claimbuster_cv(claimbuster).items():
        print(f"  {name:12} {auc:8.3f} {ap:7.3f}")
    print(f"  target: new model AUC >= {TARGET_AUC}, AP >= {TARGET_AP}")
    sets = {"CheckThat! 2019": "ct19t1_train", "CheckThat! 2020": "ct20t5_train"}
    loaded = {title: checkworthiness(name) for title, name in sets.items()}  # type: ignore[arg-type]
    for title, sentences in loaded.items():
        count = len({s.debate for s in sentences})
        how = f"{count} debates, {DEBATE_FOLDS} folds"
        print(f"{title} training debates, leave-debates-out ({how}):")
        print(f"  {'':12} {'MAP':>7} {'P@10':>7}")
        for name, (map_, p10) in debates_left_out(sentences).items():
            print(f"  {name:12} {map_:7.3f} {p10:7.3f}")
    print("Check-worthy sentences the splitter sets aside (stored dismissed, none dropped):")
    for title, sentences in {"ClaimBuster": claimbuster, **loaded}.items():
        positives = sum(s.label for s in sentences)
        aside = not_claims(sentences)
        reasons = ", ".join(f"{n} {why}" for why, n in sorted(aside.items())) or "none"
        share = sum(aside.values()) / positives
        print(f"  {title:16} {sum(aside.values()):4} of {positives:,} ({share:.1%}): {reasons}")
    print("  dropped: 0 (every sentence is stored; these start dismissed with their reason)")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
