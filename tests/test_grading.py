"""Grading against the hidden truth: the graded numbers, and that nothing but helpers/grading.py reads the truth."""
from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from helpers import grading
from helpers.data import load_world
from helpers.schema import HIDDEN_SCHEMA, SCHEMA

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def small(small_world_dir):
    """The small world and its truth (read here, in a test, to check the grading functions against)."""
    return load_world(small_world_dir), grading.load_hidden_truth(small_world_dir).set_index("customer_id")


# --------------------------------------------------------------------------- reading the truth
def test_hidden_truth_loads_typed_and_follows_its_world(small_world_dir, small):
    world, truth = small
    assert truth["persona"].dtype == "category" and truth["true_uplift"].between(-1, 1).all()
    assert len(grading.load_hidden_truth(world)) == 600  # the small world's, not the committed sample's
    copy = grading.load_hidden_truth(world)
    copy.loc[0, "true_uplift"] = 99.0  # the cache hands out copies: one caller cannot spoil the next
    assert grading.load_hidden_truth(world)["true_uplift"].max() <= 1


def test_customers_outside_the_truth_are_refused_by_name(small):
    world, _ = small
    with pytest.raises(ValueError, match=r"table 'truth', column 'customer_id': 1 customer\(s\).*\[999999\]"):
        grading.persona_recovery(world, pd.Series(["a"], index=[999999]))


# --------------------------------------------------------------------------- segments against the personas
def test_persona_recovery_is_one_for_a_relabelling_low_for_noise_and_ignores_unlabelled(small):
    world, truth = small
    relabelled = truth["persona"].cat.rename_categories(lambda name: f"segment {len(name)}{name[:2]}")
    assert grading.persona_recovery(world, relabelled) == 1.0
    noise = pd.Series(np.random.default_rng(0).integers(0, 5, len(truth)), index=truth.index)
    assert abs(grading.persona_recovery(world, noise)) < 0.05
    half = relabelled.astype(object).where(truth.index % 2 == 0)  # unlabelled customers do not count
    assert grading.persona_recovery(world, half) == 1.0
    shuffled = relabelled.sample(frac=1, random_state=1)  # ids, not row positions, pair labels with personas
    assert grading.persona_recovery(world, shuffled) == 1.0


def test_mixing_with_truth_adds_the_true_uplift_and_the_personas(small):
    world, truth = small
    measures = pd.DataFrame({"age": world.customers.set_index("customer_id")["age"].astype(float)})
    schemes = pd.DataFrame({"gender": world.customers.set_index("customer_id")["gender"]})
    table = grading.mixing_with_truth(world, measures, schemes)
    assert list(table.columns) == ["age", "true uplift"] and list(table.index) == ["gender", "hidden persona"]
    assert table.loc["hidden persona", "true uplift"] > table.loc["gender", "true uplift"]


def test_lapsed_share_persona_mix_and_effect_by_persona_match_the_truth(small):
    world, truth = small
    groups = pd.Series(np.where(truth.index % 3 == 0, "a", "b"), index=truth.index, name="group")
    shares = grading.lapsed_share(world, groups)
    assert shares["a"] == pytest.approx(truth.loc[truth.index % 3 == 0, "lapsed_by_as_of"].mean())
    flagged = pd.Series(truth["persona"].eq(truth["persona"].iloc[0]).to_numpy() & (truth.index % 2 == 0),
                        index=truth.index)
    mix = grading.persona_mix(world, flagged)
    assert mix.iloc[0] == 1.0 and mix.index[0] == truth["persona"].iloc[0]
    effects = grading.effect_by_persona(world)
    eligible = truth[truth["campaign_eligible"]]
    persona = eligible["persona"].iloc[0]
    assert effects.loc[persona, "mean_effect"] == pytest.approx(eligible.loc[eligible["persona"] == persona,
                                                                             "true_uplift"].mean())
    assert effects["share_harmed"].between(0, 1).all()


# --------------------------------------------------------------------------- scores and decisions against the truth
def test_ordering_quality_and_share_of_perfect_by_hand():
    effect, score = [0.3, -0.1, 0.2, 0.0], [0.9, 0.8, 0.1, 0.1]
    gain = grading.true_gain_curve(effect, score)
    # 0.3, then -0.1, then the tied pair (0.2, 0.0) as one block
    assert gain["targeted"].tolist() == [0, 1, 2, 4] and np.allclose(gain["gain"], [0, 0.3, 0.2, 0.4])
    # area 0.25 * 0.15 + 0.25 * 0.25 + 0.5 * 0.3 = 0.25; perfect (0.3, 0.2, 0, -0.1) 0.375; random 0.2
    assert grading.ordering_quality(effect, score) == pytest.approx((0.25 - 0.2) / (0.375 - 0.2))
    assert grading.ordering_quality(effect, effect) == pytest.approx(1.0)
    assert grading.ordering_quality(effect, np.zeros(4)) == pytest.approx(0.0)
    assert np.isnan(grading.ordering_quality([0.1] * 4, score))
    assert grading.share_of_perfect_at_k(effect, score, k=0.5) == pytest.approx((0.3 - 0.1) / 0.5)
    assert grading.share_of_perfect_at_k(effect, score, k=0.25) == 1.0
    assert grading.share_of_perfect_at_k(effect, effect, k=0.75) == pytest.approx(1.0)
    assert np.isnan(grading.share_of_perfect_at_k([-0.1, -0.2], [1, 2], k=0.5))  # nobody worth contacting


def test_score_quality_grades_each_column_on_its_customers():
    truth = pd.DataFrame({"true_uplift": [0.3, -0.1, 0.2, 0.0]}, index=[7, 5, 9, 1])
    scores = pd.DataFrame({"right": [0.2, 0.9, 0.1, 0.5], "wrong": [0.5, 0.1, 0.9, 0.2]}, index=[1, 7, 5, 9])
    graded = grading.score_quality(truth, scores, k=0.25)
    # by id, "right" orders 7 (0.3) first, 9 (0.2), 1 (0.0), 5 (-0.1): the true order
    assert graded.loc["right", "ordering_quality"] == pytest.approx(1.0)
    assert graded.loc["wrong", "ordering_quality"] < 0 and graded.loc["right", "share_of_perfect"] == 1.0


def test_true_targeting_value_by_hand():
    from helpers.uplift import targeted_customers
    score = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2]
    truth = pd.DataFrame({"true_uplift": [0.5, 0.0, 0.4, 0.1, -0.2, 0.0, 0.0, -0.3], "p_convert_control": 0.1},
                         index=range(10, 18))
    chosen = targeted_customers(pd.DataFrame({"model": score, "backwards": score[::-1]}, index=truth.index), share=0.5)
    table = grading.true_targeting_value(truth, chosen, value_per_conversion=10, cost_per_contact=1)
    assert table.loc["model", "true_incremental"] == pytest.approx(1.0)
    assert table.loc["model", "share_of_perfect"] == pytest.approx(1.0)
    assert table.loc["backwards", "true_incremental"] == pytest.approx(-0.5)
    assert table.loc["backwards", "true_profit"] == pytest.approx(-0.5 * 10 - 4)
    priced = grading.true_targeting_value(truth, chosen, value_per_conversion=10, cost_per_contact=1,
                                          offer_cost_per_buyer=3.0)
    assert priced.loc["backwards", "true_profit"] == pytest.approx(-0.5 * 10 - 4 - 3 * 0.4)


def test_grade_exclusions_and_true_incremental():
    truth = pd.DataFrame({"true_uplift": [0.2, -0.1, -0.3, 0.1]}, index=[1, 2, 3, 4])
    flag = pd.Series([False, True, True, True], index=[1, 2, 3, 4])
    row = grading.grade_exclusions(truth, {"flag": flag}).loc["flag"]
    assert row["customers flagged"] == 3 and row["truly harmed (share)"] == pytest.approx(2 / 3)
    assert row["true effect of the flagged (mean)"] == pytest.approx(-0.1)
    assert row["true incremental buyers without them"] == pytest.approx(0.2)
    assert grading.true_incremental(truth, pd.Index([1, 4])) == pytest.approx(0.3)


# --------------------------------------------------------------------------- nobody else reads the truth
TRUTH_ONLY = sorted({c.name for c in HIDDEN_SCHEMA["truth"]} - {c.name for cols in SCHEMA.values() for c in cols})
# what reading the truth looks like in source text: the folder, the file, the reader, the metadata that points
# at them, the loader's private pieces, and the truth's own column names as keys or attributes
CHEATS = [r"hidden\s*[/\\]", r"""["'/\\]hidden["'/\\]""", r"datasets\W{1,4}hidden", r"""["']truth\b""", r"truth\.csv",
          r"load_hidden_truth", r"hidden_files",
          r"HIDDEN_(SCHEMA|TABLES|FOLDER)", r"_read_truth", r"grading\._", r"from\s+\S*grading\s+import\s+[^\n]*\b_",
          *[rf"""["']{name}["']|\.{name}\b""" for name in TRUTH_ONLY]]
# the generator writes the truth, the schema defines its columns for the data dictionary, grading reads it
ALLOWED = {"helpers/grading.py", "helpers/world.py", "helpers/schema.py", "helpers/vocabulary.py"}


def _sources() -> dict[str, str]:
    """Every helper module and every notebook (all cells, outputs left out), by path relative to the kit."""
    found = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in sorted((ROOT / "helpers").rglob("*.py"))}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        found[str(path.relative_to(ROOT))] = "\n".join("".join(cell["source"]) for cell in cells
                                                      if cell["cell_type"] == "code")
    return found


def _cheats(text: str) -> list[str]:
    return [match.group(0) for pattern in CHEATS for match in re.finditer(pattern, text)]


def test_the_scan_catches_what_a_cheat_would_write():
    for cheat in ('pd.read_csv(folder / "hidden" / "truth.csv.gz")', "from helpers.data import load_hidden_truth",
                  "pd.read_csv('../datasets/hidden/truth.csv.gz')", "world.meta['hidden_files']['truth']",
                  "grading._truth(world)", "from helpers.grading import _truth", 'frame["true_uplift"]',
                  "truth.persona", "from helpers.grading import load_hidden_truth", 'Path("../datasets/hidden")',
                  "root / 'datasets' / 'hidden'", 'folder.rglob("truth*")', 'read_csv("..\\\\datasets\\\\hidden\\\\x")'):
        assert _cheats(cheat), cheat
    for honest in ("grading.persona_recovery(world, labels)", "uplift_at_k(y, t, score)", "hidden cost of the offer",
                   '{"hidden persona": 1}', 'metrics["ordering quality (truth)"]'):
        assert not _cheats(honest), honest


def test_only_grading_reads_the_hidden_truth():
    sources = _sources()
    assert "helpers/grading.py" in sources and any(p.startswith("notebooks/") for p in sources)
    assert any(p.startswith("helpers/exercise_bank/") for p in sources)
    offenders = {path: _cheats(text) for path, text in sources.items() if path not in ALLOWED and _cheats(text)}
    assert not offenders, f"only helpers/grading.py may read datasets/hidden/; found {offenders}"


def test_the_generator_writes_the_truth_but_never_reads_it():
    text = (ROOT / "helpers" / "world.py").read_text(encoding="utf-8")
    assert "read_csv" not in text and "load_hidden_truth" not in text


def test_decision_helpers_take_no_truth_argument():
    import importlib
    names = ["uplift", "uplift.targeting", "uplift.models", "uplift.curves", "uplift.experiment", "uplift.effects",
             "campaign", "audiences", "spillover", "segments", "privacy", "predict", "clustering"]
    suspicious = []
    for name in names:
        module = importlib.import_module(f"helpers.{name}")
        for attribute, value in vars(module).items():
            if callable(value) and getattr(value, "__module__", "").startswith("helpers."):
                try:
                    parameters = inspect.signature(value).parameters
                except (TypeError, ValueError):
                    continue
                suspicious += [f"{name}.{attribute}({p})" for p in parameters if re.search(r"true|truth|persona", p)]
    assert suspicious == []
