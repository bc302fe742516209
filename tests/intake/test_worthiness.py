"""The shipped check-worthiness model (workbench.intake.worthiness) and `claims worthiness`."""

from __future__ import annotations

import json

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner

from workbench.intake import worthiness
from workbench.intake.claim_spotting import find_claims

# News sentences in the order an editor would check them: a figure with a named source, a cost
# a minister gave, then a bare attribution, then an opinion.
IN_ORDER = [
    "Unemployment fell to 3.5 percent in March, the lowest rate since 1969, the Labor Department "
    "said.",
    "The minister told reporters that the plan would cost 2 billion euros.",
    "He said he was pleased.",
    "I think it was a wonderful evening.",
]


def test_the_shipped_model_loads_with_its_provenance() -> None:
    model = worthiness.load_model()
    assert worthiness.load_model() is model  # read once per process
    assert len(model.weights) > 1_000
    assert set(model.about["fitted_on"]) == {"claimbuster_2.5xNCS", "ct19t1_train", "ct20t5_train"}
    assert "GPL-3.0" in model.about["fitted_on"]["claimbuster_2.5xNCS"]["licence"]
    assert "fit_worthiness.py" in model.about["command"]


def test_known_sentences_score_in_the_order_an_editor_expects() -> None:
    scores = [worthiness.score(sentence) for sentence in IN_ORDER]
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) == len(scores)
    assert scores[0] > 0.5 > scores[-1]
    assert all(0.0 <= score <= 1.0 and score == round(score, 3) for score in scores)


def test_the_score_is_the_sigmoid_of_the_weights_of_the_features_present() -> None:
    model = worthiness.load_model()
    sentence = IN_ORDER[1]
    found = worthiness.sentence_features(sentence)
    total = sum(model.weights.get(name, 0.0) for name in found)
    logit = model.intercept + worthiness.feature_value(found) * total
    assert model.score(sentence) == pytest.approx(1 / (1 + pow(2.718281828459045, -logit)))


def test_features_name_the_signals_a_fact_checker_looks_for() -> None:
    found = worthiness.sentence_features("Prices rose 40% in 2022, more than ever, Reuters said.")
    assert {"s:digit", "s:year", "s:unit", "s:comparative", "s:attribution"} <= found
    assert {"w:<num>", "w:<year>", "b:prices rose", "f:prices", "s:names_1"} <= found
    assert "s:question" in worthiness.sentence_features("Is it true?")


def test_ingest_scores_with_the_model() -> None:
    (candidate,) = find_claims(IN_ORDER[0])
    assert candidate.check_worthiness == worthiness.score(IN_ORDER[0])


# --- flask claims worthiness ---------------------------------------------------------------------


def run(app: Flask, runner: FlaskCliRunner, lines: list[str]) -> Result:
    with app.app_context():
        return runner.invoke(args=["claims", "worthiness"], input="\n".join(lines) + "\n")


def test_the_command_prints_one_verdict_per_line_as_ingest_judges(
    app: Flask, runner: FlaskCliRunner
) -> None:
    sentences = {"a": IN_ORDER[0], "b": "(APPLAUSE)", "c": "Murders are up.", "d": "Why now?"}
    result = run(app, runner, [json.dumps({"id": k, "text": v}) for k, v in sentences.items()])
    assert result.exit_code == 0, result.output
    printed = [json.loads(line) for line in result.stdout.splitlines()]
    assert [p["id"] for p in printed] == list(sentences)
    assert [(p["claim"], p["reason"]) for p in printed] == [
        (True, None),
        (False, "stage_direction"),
        (True, None),
        (False, "question"),
    ]
    for line in printed:
        (judged,) = find_claims(sentences[line["id"]])
        assert line["score"] == judged.check_worthiness


def test_a_bad_line_is_named_and_the_others_are_still_judged(
    app: Flask, runner: FlaskCliRunner
) -> None:
    result = run(
        app,
        runner,
        [
            json.dumps({"id": 1, "text": IN_ORDER[0]}),
            "not json",
            json.dumps({"id": 3}),
            "",
            json.dumps({"id": 5, "text": IN_ORDER[3]}),
        ],
    )
    assert result.exit_code == 1
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [1, 5]
    assert "line 2: expected a JSON object" in result.stderr
    assert "line 3: expected a JSON object" in result.stderr
