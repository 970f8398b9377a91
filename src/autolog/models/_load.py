"""``load_model`` and ``LoadedModel``: any saved model back as one generic predict function."""

from __future__ import annotations

import os
import shutil
import threading
import warnings
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

from autolog.errors import FlavorUnavailable, ModelError, UnknownFlavorError, UntrustedPickleWarning
from autolog.models import _directory, _discovery
from autolog.models._flavor import Flavor
from autolog.models._uri import resolve

#: set to 1 to load pickle-based models from non-local URIs without a warning
TRUST_ENV = "AUTOLOG_TRUST_PICKLES"
_pickle_warned = False
_pickle_lock = threading.Lock()


class LoadedModel:
    """A saved model, ready to predict, whatever library made it.

    ``predict(data)`` checks ``data`` against the model's input signature (when it has one)
    and calls the flavor's predict on the native object. Everything else is plain attributes,
    computed once at load.
    """

    __slots__ = (
        "native", "flavor", "flavors", "signature", "metadata", "model_uri", "run_id",
        "requirements", "path", "_predict", "_enforce", "_example", "__weakref__",
    )

    #: the library's own object (an sklearn estimator, a torch module, ...)
    native: Any
    #: the name of the flavor serving this model
    flavor: str
    #: every flavor the model directory carries -> its entry in model.yaml
    flavors: dict[str, dict[str, Any]]
    #: the signature (``autolog.Signature``), or None
    signature: Any
    #: the user's metadata dict given at save time
    metadata: dict[str, Any]
    model_uri: str
    run_id: str | None
    requirements: list[str]
    #: the local model directory
    path: Path
    #: the serving flavor's predict(native, data)
    _predict: Callable[[Any, Any], Any]
    #: checks and converts input against the signature; None when there is nothing to check
    _enforce: Callable[[Any], Any] | None
    #: the input example's file, relative to ``path``, or None
    _example: str | None

    def predict(self, data: Any) -> Any:
        """Predict with the native model after checking ``data`` against the signature."""
        enforce = self._enforce
        if enforce is not None:
            data = enforce(data)
        return self._predict(self.native, data)

    @property
    def input_example(self) -> Any:
        """The input example saved with the model (None when none was)."""
        if self._example is None:
            return None
        import json

        doc = json.loads((self.path / self._example).read_text(encoding="utf-8"))
        return _directory.example_from_json(doc)

    def __repr__(self) -> str:
        return f"<LoadedModel {self.model_uri} flavor={self.flavor!r} native={type(self.native).__name__}>"


def _signature_support() -> Any:
    try:
        from autolog.models import _signature
    except ImportError:  # signatures not available: models still load, unchecked
        return None
    return _signature


def _signature_from(doc: Any) -> tuple[Any, Any]:
    """The signature object and the enforce callable (None when nothing to check)."""
    if not doc:
        return None, None
    support = _signature_support()
    if support is None:
        return doc, None
    signature = support.Signature.from_dict(doc)
    if getattr(signature, "inputs", None) is None:
        return signature, None
    return signature, support.make_enforcer(signature)


def _alternatives(entries: dict[str, Any], uri: str, skip: str) -> str:
    usable = []
    for name in entries:
        if name == skip:
            continue
        try:
            flavor = _discovery.get_flavor(name)
        except Exception:
            continue
        if _discovery.module_available(flavor.module):
            usable.append(f"{name} (load_model({uri!r}, flavor={name!r}))")
    others = [n for n in entries if n != skip]
    if usable:
        return f" This model also has: {', '.join(usable)}."
    if others:
        return f" Its other flavors ({', '.join(others)}) cannot be loaded here either."
    return ""


def _why_not(name: str, entry: dict[str, Any]) -> tuple[Flavor | None, str]:
    """The flavor to load ``name`` with, or why it cannot be used here."""
    try:
        flavor = _discovery.get_flavor(name)
    except UnknownFlavorError:
        plugin = entry.get("plugin")
        hint = f"install the plugin: pip install '{plugin}'" if plugin else "install its plugin"
        return None, f"flavor {name!r} is not registered here; {hint}"
    except FlavorUnavailable as exc:
        return None, str(exc)
    if not _discovery.module_available(flavor.module):
        library = entry.get("library") or flavor.package or flavor.module
        return None, f"flavor {name!r} needs {library}, which is not installed; {_discovery.install_hint(flavor)}"
    return flavor, ""


def _choose(entries: dict[str, Any], wanted: str | None, uri: str) -> tuple[str, Flavor]:
    if wanted is not None:
        if wanted not in entries:
            raise ModelError(
                f"the model at {uri} has no flavor {wanted!r}; it has: {', '.join(entries)}. "
                f"Call load_model({uri!r}) to use the first one that works here."
            )
        flavor, why = _why_not(wanted, entries[wanted])
        if flavor is None:
            raise FlavorUnavailable(wanted, why + "." + _alternatives(entries, uri, wanted))
        return wanted, flavor
    reasons = []
    for name, entry in entries.items():
        flavor, why = _why_not(name, entry)
        if flavor is not None:
            return name, flavor
        reasons.append(why)
    raise FlavorUnavailable(
        next(iter(entries)),
        f"none of the flavors of the model at {uri} can be loaded here: " + "; ".join(reasons),
    )


def _trusted(trust: bool | None) -> bool:
    if trust is not None:
        return trust
    return os.environ.get(TRUST_ENV, "").strip().lower() in ("1", "true", "yes")


def _warn_pickle(uri: str, name: str, fmt: str) -> None:
    global _pickle_warned
    with _pickle_lock:
        if _pickle_warned:
            return
        _pickle_warned = True
    warnings.warn(
        f"loading {uri} runs code: its {name!r} flavor is stored as {fmt!r}, and unpickling "
        "executes whatever the file says. Load models only from places you trust. To silence "
        f"this, pass load_model(..., trust=True) or set {TRUST_ENV}=1 (this warning is shown "
        "once per process).",
        UntrustedPickleWarning,
        stacklevel=3,
    )


def load_model(uri: str | Path, flavor: str | None = None, *, trust: bool | None = None) -> LoadedModel:
    """Load the model ``uri`` names: a directory, ``file://``, ``runs:/<run_id>/<path>``, or
    any artifact URI (``s3://...``).

    ``flavor`` picks the flavor to serve it (default: the first one listed in the model
    whose library is importable here). Every file's sha256 is checked first. Loading a
    pickle-based format from a non-local URI warns once per process unless ``trust=True``
    or ``AUTOLOG_TRUST_PICKLES=1``.
    """
    resolved = resolve(uri)
    root = resolved.local_path
    cleanup = None
    if resolved.temp_dir is not None:
        cleanup = (shutil.rmtree, resolved.temp_dir)
    try:
        doc = _directory.read_model(root)
        _directory.verify(root, doc)
        entries: dict[str, Any] = doc["flavors"]
        shown = str(uri)
        name, chosen = _choose(entries, flavor, shown)
        entry = entries[name]
        if (
            resolved.remote
            and entry.get("format") in getattr(chosen, "pickle_formats", ("pickle",))
            and not _trusted(trust)
        ):
            _warn_pickle(shown, name, entry["format"])
        try:
            native = chosen.load(root, entry)
        except ImportError as exc:
            raise FlavorUnavailable(
                name,
                f"flavor {name!r} could not import what it needs ({exc}); "
                f"{_discovery.install_hint(chosen)}." + _alternatives(entries, shown, name),
            ) from exc
        signature, enforce = _signature_from(doc.get("signature"))
    except BaseException:
        if cleanup is not None:
            cleanup[0](cleanup[1], True)
        raise
    model = LoadedModel.__new__(LoadedModel)
    model.native = native
    model.flavor = name
    model.flavors = entries
    model.signature = signature
    model.metadata = doc.get("metadata") or {}
    model.model_uri = shown
    model.run_id = doc.get("run_id") or resolved.run_id
    model.requirements = doc.get("requirements") or []
    model.path = root
    model._predict = chosen.predict
    model._enforce = enforce
    model._example = doc.get("input_example")
    if cleanup is not None:
        # downloaded files live as long as the model: flavors may read them lazily
        weakref.finalize(model, cleanup[0], cleanup[1], True)
    return model
