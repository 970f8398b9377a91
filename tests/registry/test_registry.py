"""Registry behaviour through the public API, on every backend."""

from __future__ import annotations

import logging

import pytest

import autolog
from autolog.errors import FilterSyntaxError, InvalidInputError, NotFoundError


def test_register_counts_versions_and_creates_the_model(client: autolog.Client, model_uri: str) -> None:
    first = autolog.register_model(model_uri, "fraud", tags={"team": "risk"})
    second = autolog.register_model(model_uri, "fraud")
    assert (first.version, second.version) == (1, 2)
    assert first.tags == {"team": "risk"} and first.run_id == model_uri.split("/")[1]
    assert first.source == model_uri and first.model_uri == "models:/fraud/1"
    model = client.get_registered_model("fraud")
    assert model.latest_version == 2
    assert [e.kind for e in client.get_registered_model_events("fraud")] == [
        "model_created", "version_created", "version_created",
    ]


def test_models_uris_load_version_alias_and_latest(client: autolog.Client, model_uri: str) -> None:
    autolog.register_model(model_uri, "m")
    autolog.register_model(model_uri, "m")
    client.set_registered_model_alias("m", "champion", 1)
    for uri in ("models:/m/1", "models:/m@champion", "models:/m/latest", "models:///m/2"):
        assert autolog.load_model(uri).predict([1.5]) == [3.0]
    assert autolog.load_model("models:/m@champion").run_id == model_uri.split("/")[1]


def test_alias_moves_and_history_records_who_and_when(client: autolog.Client, model_uri: str) -> None:
    for _ in range(3):
        autolog.register_model(model_uri, "m")
    client.set_registered_model_alias("m", "champion", 1)
    client.set_registered_model_alias("m", "champion", 3)
    client.delete_registered_model_alias("m", "champion")
    alias_events = [e for e in client.get_registered_model_events("m") if e.kind.startswith("alias")]
    assert [(e.kind, e.version, e.previous_version) for e in alias_events] == [
        ("alias_set", 1, None), ("alias_set", 3, 1), ("alias_deleted", None, 3),
    ]
    assert all(e.user_id and e.timestamp > 0 for e in alias_events)
    with pytest.raises(NotFoundError, match="no alias 'champion'; its aliases: none"):
        client.get_model_version_by_alias("m", "champion")


@pytest.mark.parametrize("alias", ["v3", "V12", "3", "latest", "LATEST"])
def test_version_like_aliases_are_refused(client: autolog.Client, model_uri: str, alias: str) -> None:
    autolog.register_model(model_uri, "m")
    with pytest.raises(InvalidInputError, match="looks like a version"):
        client.set_registered_model_alias("m", alias, 1)


def test_unknown_names_versions_and_aliases_list_what_exists(client: autolog.Client, model_uri: str) -> None:
    autolog.register_model(model_uri, "alpha")
    autolog.register_model(model_uri, "alpha")
    client.set_registered_model_alias("alpha", "prod", 2)
    with pytest.raises(NotFoundError, match="no registered model named 'beta'; registered models: alpha"):
        client.get_registered_model("beta")
    with pytest.raises(NotFoundError, match="has no version 9; its versions: 1, 2"):
        autolog.load_model("models:/alpha/9")
    with pytest.raises(NotFoundError, match=r"its aliases: prod -> 2"):
        autolog.load_model("models:/alpha@staging")
    with pytest.raises(InvalidInputError, match="models:/<name>/<version>"):
        autolog.load_model("models:/alpha")


def test_deleting_an_aliased_version_removes_the_alias_and_says_so(
    client: autolog.Client, model_uri: str, caplog: pytest.LogCaptureFixture
) -> None:
    autolog.register_model(model_uri, "m")
    autolog.register_model(model_uri, "m")
    client.set_registered_model_alias("m", "champion", 2)
    client.set_registered_model_alias("m", "canary", 2)
    with caplog.at_level(logging.WARNING, logger="autolog.registry"):
        removed = client.delete_model_version("m", 2)
    assert removed == ["canary", "champion"]
    assert "canary, champion" in caplog.text
    model = client.get_registered_model("m")
    assert model.aliases == {} and model.latest_version == 1
    # numbers of deleted versions are never reused
    assert autolog.register_model(model_uri, "m").version == 3


def test_rename_carries_versions_aliases_and_history(client: autolog.Client, model_uri: str) -> None:
    autolog.register_model(model_uri, "old", tags={"k": "v"})
    client.set_registered_model_alias("old", "prod", 1)
    client.set_registered_model_tag("old", "owner", "me")
    client.rename_registered_model("old", "new")
    assert client.get_model_version_by_alias("new", "prod").tags == {"k": "v"}
    assert client.get_registered_model("new").tags == {"owner": "me"}
    assert client.get_registered_model_events("new")[-1].detail == "old"
    with pytest.raises(NotFoundError):
        client.get_registered_model("old")
    autolog.register_model(model_uri, "other")
    with pytest.raises(InvalidInputError, match="already exists"):
        client.rename_registered_model("new", "other")


def test_descriptions_tags_and_delete(client: autolog.Client, model_uri: str) -> None:
    client.create_registered_model("m", tags={"a": "1"}, description="first")
    with pytest.raises(InvalidInputError, match="already exists"):
        client.create_registered_model("m")
    version = client.create_model_version("m", model_uri, description="v1")
    assert version.version == 1 and version.description == "v1"
    assert client.update_registered_model("m", "second").description == "second"
    assert client.update_model_version("m", 1, "changed").description == "changed"
    client.set_model_version_tag("m", "1", "stage", "ok")
    assert client.get_model_version("m", 1).tags == {"stage": "ok"}
    client.delete_model_version_tag("m", 1, "stage")
    with pytest.raises(NotFoundError, match="no tag 'stage'"):
        client.delete_model_version_tag("m", 1, "stage")
    client.delete_registered_model_tag("m", "a")
    assert client.get_registered_model("m").tags == {}
    client.delete_registered_model("m")
    assert client.search_registered_models() == []
    assert client.search_model_versions() == []


def test_create_model_version_needs_an_existing_model(client: autolog.Client, model_uri: str) -> None:
    with pytest.raises(NotFoundError, match="no registered model named 'ghost'"):
        client.create_model_version("ghost", model_uri)


def test_search_filters_and_orders(client: autolog.Client, model_uri: str) -> None:
    for name, team in (("fraud-a", "risk"), ("fraud-b", "growth"), ("churn", "risk")):
        autolog.register_model(model_uri, name, tags={"team": team})
        client.set_registered_model_tag(name, "team", team)
    autolog.register_model(model_uri, "fraud-a")
    names = [m.name for m in client.search_registered_models("name LIKE 'fraud%'")]
    assert names == ["fraud-a", "fraud-b"]
    names = [m.name for m in client.search_registered_models("tags.team = 'risk'", order_by=["name DESC"])]
    assert names == ["fraud-a", "churn"]
    assert len(client.search_registered_models(max_results=1)) == 1
    versions = client.search_model_versions("name = 'fraud-a'")
    assert [v.version for v in versions] == [2, 1]
    run_id = model_uri.split("/")[1]
    assert len(client.search_model_versions(f"run_id = '{run_id}' AND version >= 2")) == 1
    with pytest.raises(FilterSyntaxError, match="have no metrics"):
        client.search_model_versions("metrics.acc > 1")


@pytest.mark.parametrize(
    "name", ["", "a/b", "a@b", " padded ", "x" * 257, "tab\tname"]
)
def test_bad_model_names(client: autolog.Client, model_uri: str, name: str) -> None:
    with pytest.raises(InvalidInputError):
        autolog.register_model(model_uri, name)


def test_bad_sources_are_refused_before_writing(client: autolog.Client, tmp_path: object) -> None:
    with pytest.raises(InvalidInputError, match="not a directory"):
        autolog.register_model("/nonexistent/model/dir", "m")
    with pytest.raises(NotFoundError):
        autolog.register_model("runs:/" + "0" * 32 + "/model", "m")
    assert client.search_registered_models() == []


def test_log_model_registers(client: autolog.Client) -> None:
    class Triple:
        def predict(self, data: list[float]) -> list[float]:
            return [3 * x for x in data]

    with autolog.start_run():
        info = autolog.log_model(Triple(), "model", flavor="python", registered_model_name="t")
        again = autolog.log_model(Triple(), "model2", flavor="python", registered_model_name="t")
    assert (info.registered_model_version, again.registered_model_version) == (1, 2)
    assert autolog.load_model("models:/t/latest").predict([1.0]) == [3.0]
    assert client.get_latest_versions("t")[0].source.endswith("/model2")


def test_a_store_keeps_a_given_version_number_and_counts_on_from_it(
    client: autolog.Client, model_uri: str
) -> None:
    # what an import uses: MLflow's numbers stay, gaps of deleted versions stay gaps
    store = client.store
    run_id = model_uri.split("/")[1]
    third = store.create_model_version("m", model_uri, run_id, {}, "", "ann", True, version=3)
    assert (third.version, third.run_id) == (3, run_id)
    assert autolog.register_model(model_uri, "m").version == 4
    with pytest.raises(InvalidInputError, match="never reused"):
        store.create_model_version("m", model_uri, None, {}, "", "ann", False, version=2)
    with pytest.raises(InvalidInputError, match="never reused"):
        store.create_model_version("m", model_uri, None, {}, "", "ann", False, version=4)
    assert [v.version for v in client.search_model_versions("name = 'm'")] == [4, 3]
