"""The template pipeline: agrees with the lessons on the sample, degrades gracefully, exports safely, runs headless."""
from __future__ import annotations

import json

import nbformat
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from helpers.data import load_world
from helpers.features import customer_table
from helpers.messy_exports import write_example_exports
from helpers.owndata import load_own_data
from helpers.pipeline import capabilities, main, run_pipeline, write_outputs
from helpers.rfm import name_segments, rfm_scores
from kit_tools.run_lessons import main as lessons_main


@pytest.fixture(autouse=True)
def one_thread():
    with threadpool_limits(1):  # gradient boosting spins on busy 2-core machines otherwise
        yield


@pytest.fixture(scope="module")
def exports(small_world_dir, tmp_path_factory):
    world = load_world(small_world_dir, unknown_customers="exclude")
    return world, write_example_exports(world, tmp_path_factory.mktemp("exports"))


def sample_mapping(folder, audiences=None):
    mapping = {"data": {"as_of": "2026-09-30"},
               "orders": {"file": str(folder / "orders.csv.gz"), "shape": "order_lines"},
               "customers": {"file": str(folder / "customers.csv.gz")},
               "products": {"file": str(folder / "products.csv.gz")},
               "events": {"file": str(folder / "events.csv.gz")},
               "campaign": {"file": str(folder / "campaign.csv.gz"), "control_arm": "control",
                            "outcomes": ["converted", "revenue"]},
               "segments": {"min_customers": 30}}
    if audiences:
        mapping["audiences"] = audiences
    return mapping


def test_the_pipeline_gives_the_lessons_rfm_segments_on_the_same_data(small_world_dir):
    own = load_own_data(sample_mapping(small_world_dir))
    result = run_pipeline(own)
    kit = load_world(small_world_dir, unknown_customers="exclude")
    lesson = name_segments(rfm_scores(customer_table(kit)))
    assert result.customers["rfm_segment"].astype(str).equals(lesson.astype(str).reindex(result.customers.index))
    assert result.customers["micro_segment"].notna().all()      # every customer in exactly one micro-segment
    assert result.churn_metrics["auc"] > 0.55
    assert result.migration.to_numpy().sum() == len(own.customers)   # new customers in the "not a customer yet" row
    assert result.migration.loc["not a customer yet"].sum() == (own.customers["signup_date"] > own.as_of - pd.Timedelta(days=180)).sum()
    effects = result.campaign_effects
    treated = own.campaign["arm"] == "treatment"
    assert effects.loc[("treatment", "converted"), "effect"] == pytest.approx(
        own.campaign.loc[treated, "converted"].mean() - own.campaign.loc[~treated, "converted"].mean())
    assert capabilities(own)["available"].drop("demographic and psychographic segments").all()


def test_a_transaction_log_alone_still_gives_segments_churn_and_migration(exports):
    _, paths = exports
    world = load_own_data(paths["mapping_transactions.toml"])
    result = run_pipeline(world)
    skipped = dict(result.skipped)
    assert set(skipped) == {"category shares in the micro-segments", "channel shares in the micro-segments",
                            "browsing behaviour in the micro-segments and the churn model",
                            "effect of each campaign arm against control", "demographic and psychographic segments",
                            "audience files (consent, do-not-contact, pseudonyms)"}
    assert skipped["browsing behaviour in the micro-segments and the churn model"] == "no [events] file"
    customers = result.customers
    assert len(customers) == world.orders["customer_id"].nunique()
    assert customers[["rfm_segment", "lifecycle_stage", "micro_segment"]].notna().all().all()
    assert "auc" in result.churn_metrics and result.migration is not None and result.campaign_effects is None


def test_a_short_history_skips_churn_and_migration_and_says_why(tmp_path):
    days = pd.date_range("2024-01-01", periods=100, freq="D")
    rows = pd.DataFrame({"customer_id": [1 + i % 40 for i in range(len(days) * 3)],
                         "date": [d.strftime("%Y-%m-%d") for d in days for _ in range(3)],
                         "amount": [10.0 + i % 7 for i in range(len(days) * 3)]})
    rows.to_csv(tmp_path / "t.csv", index=False)
    result = run_pipeline(load_own_data({"orders": {"file": str(tmp_path / "t.csv"), "shape": "transactions"}}))
    skipped = dict(result.skipped)
    assert skipped["churn risk, validated on a later period"] == "only 99 days of orders; need 270"
    assert "segment migration and drift alerts" in skipped
    assert "churn_probability" not in result.customers.columns and result.migration is None
    assert len(result.customers) == 40


def test_audiences_respect_consent_minimum_size_and_the_salt(small_world_dir, tmp_path):
    spec = {"segments": ["champions", "lost"], "channel": "email", "min_audience": 20, "offer": "none"}
    own = load_own_data(sample_mapping(small_world_dir, audiences=spec))
    without_salt = run_pipeline(own)
    assert dict(without_salt.skipped)["audience files (consent, do-not-contact, pseudonyms)"].startswith("no secret salt")
    result = run_pipeline(own, salt="test-salt", audience_folder=tmp_path)
    left = result.audiences_left_out
    customers = own.customers.set_index("customer_id")
    for segment, row in left.iterrows():
        members = result.customers.index[result.customers["rfm_segment"].astype(str) == segment]
        allowed = customers.loc[members, "consent_email"] & ~customers.loc[members, "do_not_contact"]
        assert row["members"] == len(members) and row["reachable"] == allowed.sum()
    exported = left[left["left out"] == ""]
    assert len(exported) > 0
    sent = pd.concat(pd.read_csv(tmp_path / f) for f in result.audiences["file"])
    assert "customer_id" not in sent.columns and "email" not in sent.columns
    assert sent["email_sha256"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert len(sent) + result.audiences["control"].sum() == exported["reachable"].sum()


def test_small_cells_are_left_out_not_exported(small_world_dir, tmp_path):
    spec = {"segments": ["champions"], "channel": "email", "min_audience": 10_000}
    result = run_pipeline(load_own_data(sample_mapping(small_world_dir, audiences=spec)), salt="s", audience_folder=tmp_path)
    assert result.audiences is None
    assert result.audiences_left_out.loc["champions", "left out"] == "fewer than 10000 reachable"
    assert not list(tmp_path.iterdir())


def test_the_command_line_writes_results_and_exits_2_on_bad_input(exports, tmp_path, capsys):
    _, paths = exports
    assert main([str(paths["mapping_invoices.toml"]), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    written = {p.name for p in (tmp_path / "run").iterdir()}
    assert {"segments.csv", "summary.json", "validation_report.txt", "excluded_orders.csv", "capabilities.csv"} <= written
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["rows"]["orders"]["excluded"] > 0 and summary["skipped"]
    assert "skipped: browsing behaviour" in capsys.readouterr().out
    log = json.loads((tmp_path / "run" / "run_log.json").read_text())
    assert log["as_of"] == summary["as_of"] and log["runner"] == "kit-pipeline"
    assert {"reading and validating", "micro-segments", "writing results"} <= set(log["seconds"])
    assert {"python", "pandas", "scikit-learn"} <= set(log["versions"])
    bad = tmp_path / "bad.toml"
    bad.write_text(f'[orders]\nfile = "{paths["invoice_lines.csv"]}"\nshape = "invoice_lines"\namount = "Total"\n')
    assert main([str(bad), "--out", str(tmp_path / "bad"), "--quiet"]) == 2
    assert capsys.readouterr().err.startswith("error: table 'orders', column 'amount': unknown key 'amount'")
    assert main([str(tmp_path / "nowhere.toml"), "--out", str(tmp_path / "x"), "--quiet"]) == 2


def test_the_pipeline_runs_no_notebook_and_says_where_lesson_09_headless_went(exports, tmp_path, capsys):
    _, paths = exports
    assert main([str(paths["mapping_invoices.toml"]), "--out", str(tmp_path / "run"), "--notebook"]) == 2
    assert "kit-lessons 09 --mapping" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("mapping", ["mapping_invoices.toml", "mapping_transactions.toml"])
def test_lesson_09_runs_headless_on_an_export(exports, tmp_path, mapping, capsys):
    _, paths = exports
    assert lessons_main(["09", "--mapping", str(paths[mapping]), "--out", str(tmp_path)]) == 0
    executed = capsys.readouterr().out.strip().removeprefix("executed notebook: ")
    notebook = nbformat.read(executed, as_version=4)
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in notebook.cells)
    segments = pd.read_csv(tmp_path / "segments.csv")
    assert len(segments) == load_own_data(paths[mapping]).orders["customer_id"].nunique()
    log = json.loads((tmp_path / "run_log.json").read_text())   # written by the tool, no clock inside the notebook
    assert log["mapping"] == str(paths[mapping].resolve()) and log["runner"] == "kit-lessons 09 --mapping"
    assert log["as_of"] == json.loads((tmp_path / "summary.json").read_text())["as_of"]
    assert log["seconds"] and all(v >= 0 for v in log["seconds"].values())
    assert log["total_seconds"] >= max(log["seconds"].values()) and "pandas" in log["versions"]


def test_a_churn_window_where_everyone_churned_is_skipped_not_a_crash(tmp_path):
    days = list(pd.date_range("2023-01-01", periods=300, freq="D")) + list(pd.date_range("2024-06-01", periods=60, freq="D"))
    rows = pd.DataFrame({"customer_id": [1 + i % 50 for i in range(len(days))], "date": [d.strftime("%Y-%m-%d") for d in days],
                         "amount": 10.0})
    rows.to_csv(tmp_path / "t.csv", index=False)
    result = run_pipeline(load_own_data({"orders": {"file": str(tmp_path / "t.csv"), "shape": "transactions"}}))
    assert "one value only" in dict(result.skipped)["churn risk, validated on a later period"]
    assert "churn_risk" not in result.customers.columns
    assert result.table("churn_by_lifecycle").columns.tolist() == ["not available"]


def test_a_chosen_segment_without_members_this_run_is_an_empty_cell_not_an_error():
    from helpers.audiences import audience_cells_from
    names = ["champions", "lost"]
    segments = pd.DataFrame({"rfm_segment": pd.Categorical(["champions"] * 3, categories=names)},
                            index=pd.Index([1, 2, 3], name="customer_id"))
    customers = pd.DataFrame({"customer_id": [1, 2, 3], "consent_email": True, "do_not_contact": False})
    cells, left_out = audience_cells_from(segments, customers, {"segments": ["lost", "champions"], "min_audience": 2})
    assert left_out.loc["lost"].tolist() == [0, 0, "fewer than 2 reachable"]
    assert len(cells) == 3
    with pytest.raises(ValueError, match=r"segment\(s\) \['gone'\] are not in rfm_segment"):
        audience_cells_from(segments, customers, {"segments": ["gone"]})


def test_the_command_line_writes_the_validation_report_even_when_the_analysis_fails(exports, tmp_path, monkeypatch):
    import helpers.pipeline as pipeline

    def broken(*args, **kwargs):
        raise RuntimeError("analysis failed")
    monkeypatch.setattr(pipeline, "run_pipeline", broken)
    _, paths = exports
    with pytest.raises(RuntimeError):
        main([str(paths["mapping_transactions.toml"]), "--out", str(tmp_path / "run"), "--quiet"])
    assert (tmp_path / "run" / "validation_report.txt").read_text().startswith("Validation report")


def test_a_normal_run_writes_the_arms_balance_beside_the_effects(small_world_dir, tmp_path):
    mapping = sample_mapping(small_world_dir)
    mapping["campaign"]["features"] = ["campaign_id"]
    world = load_own_data(mapping)
    written = {p.name for p in write_outputs(run_pipeline(world), tmp_path)}
    assert {"campaign_effects.csv", "campaign_balance.csv"} <= written
    balance = pd.read_csv(tmp_path / "campaign_balance.csv")
    ids = world.campaign["campaign_id"].unique()
    assert set(balance["feature"]) == {f"campaign_id = {i}" for i in ids} and set(balance["arm"]) == {"treatment"}
    effects = pd.read_csv(tmp_path / "campaign_effects.csv")
    assert (effects["next_test_per_arm"] > 0).all() and set(effects["kind"]) == {"rate", "amount"}


def test_the_pipeline_writes_the_lessons_clv_columns_for_buyers(small_world_dir, tmp_path):
    """Expected purchases, probability alive and CLV per customer are lesson 04b's, from the same helpers."""
    from helpers.clv import fit_bgnbd, fit_gamma_gamma, lifetime_value, purchase_history
    own = load_own_data(sample_mapping(small_world_dir))
    result = run_pipeline(own)
    history = purchase_history(own.orders, own.as_of, unit="days")
    model, spend = fit_bgnbd(history, unit="days"), fit_gamma_gamma(history)
    values = lifetime_value(model, spend, history, horizon=365)
    customers = result.customers
    buyers = history.index.intersection(customers.index)
    assert customers.loc[buyers, "clv_365d"].to_numpy() == pytest.approx(values.loc[buyers, "clv"].round(2).to_numpy())
    assert customers.loc[buyers, "probability_alive"].to_numpy() == pytest.approx(
        values.loc[buyers, "probability_alive"].round(4).to_numpy())
    assert customers.loc[customers.index.difference(history.index), "clv_365d"].isna().all()   # no purchase: no CLV
    assert result.clv_metrics["customers"] == len(history) and result.clv_metrics["horizon_days"] == 365
    write_outputs(result, tmp_path)
    header = (tmp_path / "segments.csv").read_text().splitlines()[0].split(",")
    from helpers.pipeline import currency_code
    assert {"expected_purchases_365d", "probability_alive", f"clv_365d_{currency_code(own)}"} <= set(header)
    assert json.loads((tmp_path / "summary.json").read_text())["clv_model"]["bgnbd"]["r"] == pytest.approx(model.r)


def test_clv_needs_half_a_year_and_enough_repeat_buyers_and_says_why(tmp_path):
    days = pd.date_range("2024-01-01", periods=100, freq="D")
    rows = pd.DataFrame({"customer_id": [1 + i % 40 for i in range(len(days) * 3)],
                         "date": [d.strftime("%Y-%m-%d") for d in days for _ in range(3)],
                         "amount": [10.0 + i % 7 for i in range(len(days) * 3)]})
    rows.to_csv(tmp_path / "short.csv", index=False)
    short = run_pipeline(load_own_data({"orders": {"file": str(tmp_path / "short.csv"), "shape": "transactions"}}))
    assert dict(short.skipped)["lifetime value (BG/NBD, Gamma-Gamma)"] == "only 99 days of orders; need 180"
    assert "clv_365d" not in short.customers.columns
    once = pd.DataFrame({"customer_id": range(1, 401), "date": [d.strftime("%Y-%m-%d") for d in
                                                                  pd.date_range("2024-01-01", periods=400, freq="D")],
                         "amount": 20.0})
    once.loc[len(once)] = [1, "2024-06-01", 15.0]       # one repeat buyer only
    once.to_csv(tmp_path / "once.csv", index=False)
    few = run_pipeline(load_own_data({"orders": {"file": str(tmp_path / "once.csv"), "shape": "transactions"}}))
    assert dict(few.skipped)["lifetime value (BG/NBD, Gamma-Gamma)"] == (
        "1 customer(s) bought on two or more days; BG/NBD and Gamma-Gamma need at least 100")
