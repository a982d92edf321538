"""The generator: reproducible, complete, streamed, and with the structure the lessons rely on."""
from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from helpers import world as w
from helpers.data import DEFAULT_DATA_DIR, load_world, read_raw
from helpers.grading import load_hidden_truth
from helpers.schema import HIDDEN_SCHEMA, SCHEMA


def test_every_table_and_the_hidden_truth_are_written_apart(small_world_dir):
    for table in w.TABLES:
        assert (small_world_dir / f"{table}.csv.gz").exists()
    assert (small_world_dir / "hidden" / "truth.csv.gz").exists()
    assert not (small_world_dir / "truth.csv.gz").exists()
    meta = json.loads((small_world_dir / "world.json").read_text())
    assert meta["as_of"] == "2026-09-30" and meta["n_customers"] == 600
    assert meta["snapshot_dates"] == ["2026-03-31", "2026-09-30"]


def test_tables_have_exactly_the_contract_columns(raw, small_world_dir):
    for table, columns in SCHEMA.items():
        assert list(raw[table].columns) == [c.name for c in columns], table
    truth = pd.read_csv(small_world_dir / "hidden" / "truth.csv.gz")
    assert list(truth.columns) == [c.name for c in HIDDEN_SCHEMA["truth"]]


def test_same_seed_same_bytes_other_seed_other_world(tmp_path):
    a = w.generate_world(300, seed=11, out=tmp_path / "a", progress=False)
    b = w.generate_world(300, seed=11, out=tmp_path / "b", progress=False)
    w.generate_world(300, seed=12, out=tmp_path / "c", progress=False)
    sums_a, sums_b, sums_c = (w.content_checksums(tmp_path / x) for x in "abc")
    assert sums_a == sums_b and a["rows"] == b["rows"]
    assert sums_a["orders.csv.gz"] != sums_c["orders.csv.gz"]
    # the gzip bytes themselves are reproducible too (no timestamp in the header)
    assert (tmp_path / "a" / "orders.csv.gz").read_bytes() == (tmp_path / "b" / "orders.csv.gz").read_bytes()


def test_generator_reproduces_the_committed_sample(tmp_path):
    meta = json.loads((DEFAULT_DATA_DIR / "world.json").read_text())
    w.generate_world(meta["n_customers"], seed=meta["seed"], out=tmp_path, progress=False)
    # content, not gzip bytes: another zlib build may compress the same rows differently
    assert w.content_checksums(tmp_path) == w.content_checksums(DEFAULT_DATA_DIR)
    assert json.loads((tmp_path / "world.json").read_text()) == meta


def test_committed_checksum_file_matches_the_files_for_sha256sum():
    listed = dict(line.split()[::-1] for line in (DEFAULT_DATA_DIR / "CHECKSUMS.sha256").read_text().splitlines())
    assert listed == w.file_checksums(DEFAULT_DATA_DIR), "regenerate with --checksums; datasets/ was edited by hand"


def test_an_existing_world_is_not_overwritten_by_accident(tmp_path):
    w.generate_world(20, seed=1, out=tmp_path, progress=False)
    with pytest.raises(FileExistsError, match="already holds a world"):
        w.generate_world(20, seed=2, out=tmp_path, progress=False)
    w.generate_world(20, seed=2, out=tmp_path, progress=False, overwrite=True)
    with pytest.raises(SystemExit):
        w.main(["--customers", "20", "--out", str(tmp_path), "--quiet"])


def test_large_worlds_are_streamed_in_chunks_and_ids_stay_unique(tmp_path, monkeypatch):
    monkeypatch.setattr(w, "CHUNK_SIZE", 150)
    meta = w.generate_world(400, seed=3, out=tmp_path, progress=False)
    raw = read_raw(tmp_path)
    customers = raw["customers"].drop_duplicates()
    assert customers["customer_id"].astype(int).is_unique and len(customers) == 400
    orders = raw["orders"].drop_duplicates()
    assert not orders.duplicated(["order_id", "line_number", "status"]).any()
    assert meta["rows"]["truth"] == 400


def test_rejects_an_empty_world(tmp_path):
    with pytest.raises(ValueError, match="at least 1"):
        w.generate_world(0, seed=1, out=tmp_path)


def test_cli_writes_a_world_and_checksums(tmp_path):
    assert w.main(["--customers", "50", "--seed", "5", "--out", str(tmp_path), "--checksums", "--quiet"]) == 0
    sums = (tmp_path / "CHECKSUMS.sha256").read_text().splitlines()
    assert len(sums) == len(w.TABLES) + 1  # five tables and the hidden truth


@pytest.fixture(scope="module")
def sample():
    return load_world(), load_hidden_truth()


def test_sample_is_moderate_and_history_spans_two_years(sample):
    world, _ = sample
    assert 20_000 <= len(world.customers) <= 30_000
    ts = world.orders["order_ts"]
    assert ts.min() >= w.HISTORY_START and ts.max() < w.AS_OF + pd.Timedelta(days=1)
    assert (ts.max() - ts.min()).days >= 700
    size = sum(p.stat().st_size for p in DEFAULT_DATA_DIR.rglob("*") if p.is_file())
    assert size < 30 * 2**20


def test_sample_has_the_promised_mess(sample):
    world, _ = sample
    actions = world.report.actions().set_index(["table", "action", "reason"])["rows"]
    assert actions.loc[("orders", "excluded", "exact duplicate of an earlier row")] > 0
    assert actions.loc[("orders", "excluded", "no customer id (guest checkout)")] > 0
    assert actions.loc[("orders", "repaired", "channel: tidied case/spaces")] > 0
    assert set(world.orders["status"].unique()) == {"completed", "cancelled", "returned"}
    assert (world.orders.loc[world.orders["status"] == "returned", "quantity"] < 0).all()
    assert world.customers["price_sensitivity"].isna().mean() > 0.1  # survey non-response


def test_classic_bases_are_informative_but_imperfect(sample):
    world, truth = sample
    m = world.customers.merge(truth, on="customer_id")
    age_by_persona = m.groupby("persona", observed=True)["age"].mean()
    assert age_by_persona.max() - age_by_persona.min() > 15  # informative
    # imperfect: the purest age band is still far from one persona
    band = pd.cut(m["age"], [0, 30, 45, 60, 120])
    purity = pd.crosstab(band, m["persona"], normalize="index").max(axis=1)
    assert purity.max() < 0.6


def test_customers_have_individual_tastes_within_a_persona(sample):
    world, truth = sample
    lines = world.orders[world.orders["status"] == "completed"].merge(world.products[["product_id", "category"]])
    share = pd.crosstab(lines["customer_id"], lines["category"], normalize="index")
    share = share[lines.groupby("customer_id").size().reindex(share.index) >= 8]
    persona = truth.set_index("customer_id").loc[share.index, "persona"]
    within_sd = share.groupby(persona.values, observed=True).std().mean().mean()
    assert within_sd > 0.05  # not everyone in a persona buys the same mix


def test_campaign_effect_is_heterogeneous_and_sometimes_negative(sample):
    world, truth = sample
    c = world.campaign.merge(truth, on="customer_id")
    assert set(c["arm"].unique()) == {"treatment", "control"}
    assert abs((c["arm"] == "treatment").mean() - 0.5) < 0.03
    by = c.groupby(["persona", "arm"], observed=True)["converted"].mean().unstack()
    observed = by["treatment"] - by["control"]
    assert observed.max() > 0.05 and observed.min() < 0
    assert (truth["true_uplift"] < 0).mean() > 0.1
    # control customers were never contacted
    assert not c.loc[c["arm"] == "control", ["sent", "opened", "clicked"]].any().any()
    # converted means revenue in the window, and a completed order the analyst can see
    assert ((c["revenue"] > 0) == c["converted"]).all()
    start = w.CAMPAIGN_DATE
    end = start + pd.Timedelta(days=w.CAMPAIGN_WINDOW_DAYS)
    o = world.orders
    buyers = set(o.loc[(o["status"] == "completed") & (o["order_ts"] >= start) & (o["order_ts"] < end), "customer_id"])
    assert set(c.loc[c["converted"], "customer_id"]) == buyers & set(c["customer_id"])


def test_segments_drift_between_the_two_snapshots(sample):
    world, truth = sample
    first, second = w.SNAPSHOT_DATES
    orders = world.orders[world.orders["status"] == "completed"]
    half_year = pd.Timedelta(days=182)
    def active(at):
        window = orders[(orders["order_ts"] > at - half_year) & (orders["order_ts"] <= at + pd.Timedelta(days=1))]
        return set(window["customer_id"])
    a, b = active(first), active(second)
    assert len(a - b) > 0.2 * len(a) and len(b - a) > 0.2 * len(b)
    app = orders.assign(after=orders["order_ts"] > first).groupby("after")["channel"].apply(lambda s: (s == "app").mean())
    assert app[True] > app[False]


def test_referrals_point_to_earlier_customers(sample):
    world, _ = sample
    c = world.customers.set_index("customer_id")
    referred = c[c["referred_by"].notna()]
    assert 0.1 < len(referred) / len(c) < 0.4
    referrer_signup = c.loc[referred["referred_by"].astype(int), "signup_date"].to_numpy()
    assert (referrer_signup <= referred["signup_date"].to_numpy()).all()


def test_emails_are_synthetic(sample):
    world, _ = sample
    assert world.customers["email"].str.endswith("@example.com").all()


def test_products_have_margin():
    products = w.make_products()
    assert len(products) == len(w.CATEGORIES) * w.PRODUCTS_PER_CATEGORY
    assert ((products["unit_cost"] > 0) & (products["unit_cost"] < products["price"])).all()
    assert products["product_id"].is_unique


def test_personas_are_learnable_from_classic_bases_but_not_given_away(sample):
    """Classic bases predict the hidden persona far above chance, yet far from perfectly."""
    from sklearn.tree import DecisionTreeClassifier
    world, truth = sample
    c = world.customers.set_index("customer_id")
    y = truth.set_index("customer_id").loc[c.index, "persona"].astype(str)
    features = pd.get_dummies(c[["region", "urbanicity", "gender", "income_band", "household"]].astype(str)).astype(float)
    features["age"] = c["age"]
    scores = c[["price_sensitivity", "brand_loyalty", "eco_consciousness", "tech_savviness", "adventurousness"]]
    features = features.join(scores.fillna(scores.mean())).join(c["interests"].fillna("").str.get_dummies(";"))
    half = len(features) // 2
    model = DecisionTreeClassifier(max_depth=8, random_state=0).fit(features.iloc[:half], y.iloc[:half])
    accuracy = (model.predict(features.iloc[half:]) == y.iloc[half:]).mean()
    chance = y.value_counts(normalize=True).max()
    assert chance < 0.2 and 0.35 < accuracy < 0.85, accuracy


def test_the_real_data_sets_are_shipped_unchanged():
    """datasets/real/ holds the publishers' files byte for byte (its SHA256SUMS is the one beside ../shared/real-data)."""
    folder = DEFAULT_DATA_DIR / "real"
    listed = dict(line.split()[::-1] for line in (folder / "SHA256SUMS").read_text().splitlines())
    assert set(listed) == {"online_retail.parquet", "CDNOW_master.txt", "CDNOW_sample.txt", "hillstrom.csv.gz"}
    assert {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in listed} == listed
    readme = (folder / "README.md").read_text(encoding="utf-8")
    for citation in ("doi:10.24432/C5BW33", "CC BY 4.0", "Marketing Science", "Hillstrom, K. (2008)"):
        assert citation in readme
