"""The shared vocabulary every other package speaks: the bottom layer.

- ``_entities``: tracking entities (Experiment, Run, RunInfo, RunData, Metric, Param, RunTag,
  RunStatus, ViewType, LifecycleStage, FileInfo, PagedList), frozen.
- ``_model_entities``: the model registry's entities (RegisteredModel, ModelVersion, ModelEvent).
- ``_store``: the ``Store`` and ``ArtifactStore`` interfaces every backend implements, and
  ``FinishedRun``, a run written whole.
- ``_model_store``: ``RegistryStore``, the registry half of a tracking store.
- ``_search``: the search filter language, parsed once into a tree that each store translates.
- ``_rules``: the rules for keys and values of params, metrics and tags;
  ``_model_rules`` the same for registered model names, versions and aliases.
- ``_tags``: the names of the system tags; ``_messages``: NotFoundError messages that list what
  exists; ``_clock``: the one clock of the project (milliseconds since the epoch).

It imports nothing of autolog's but ``autolog.errors``; everything else imports it.
"""
