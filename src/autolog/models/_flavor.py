"""The plugin seam: ``Flavor``, the one interface every library plugin implements.

A flavor is registered under the entry-point group ``autolog.flavors`` with its ``name`` as
the entry-point name; our built-ins are registered the same way. A third-party package needs
nothing more than::

    [project.entry-points."autolog.flavors"]
    mylib = "mypkg.flavor:MyLibFlavor"

A flavor never imports its library at module level: ``handles`` looks in ``sys.modules``
first, and the methods import the library when they run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

#: ``(wrapped, instance, args, kwargs) -> result``: wrapt's wrapper signature
Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]


@dataclass(frozen=True)
class Patch:
    """One declared patch: replace ``owner.attribute`` by ``wrapper`` around the original.

    ``owner`` is the class or module that *defines* the attribute (patching the defining
    class covers subclasses that inherit it). The core applies, records and reverts patches;
    a flavor writes no undo code.
    """

    owner: Any
    attribute: str
    wrapper: Wrapper
    #: called per training step (a loss, a batch): where the original is a plain Python
    #: function, the core wraps it in a plain function too, which costs about half of a
    #: wrapt proxy per call; the wrapper sees the same ``(wrapped, instance, args, kwargs)``
    hot: bool = False


class Recorder(Protocol):
    """What an autolog wrapper hands its findings to; it decides which run they go to.

    The concrete class lives in ``autolog.autologging``; flavors only see this protocol.
    """

    def __getattr__(self, name: str) -> Any: ...


class Flavor:
    """Base class of every library plugin.

    Subclasses set the class attributes and implement ``save``, ``load`` and ``predict``;
    ``autolog`` is optional.
    """

    #: the entry-point name, e.g. "sklearn"
    name: ClassVar[str] = ""
    #: the import name whose presence makes this flavor usable, e.g. "sklearn"
    module: ClassVar[str] = ""
    #: serializations this flavor can write; the first is the default
    formats: ClassVar[tuple[str, ...]] = ()
    #: the pip distribution of the library, for requirements and install hints
    package: ClassVar[str] = ""
    #: supported library versions as one requirement string, e.g. "scikit-learn>=1.3"
    requirement: ClassVar[str] = ""
    #: the extra of our package that installs the library, e.g. "sklearn"
    extra: ClassVar[str] = ""
    #: formats whose loading runs code stored in the file (pickle and friends); load_model
    #: warns before loading one of these from a non-local URI
    pickle_formats: ClassVar[tuple[str, ...]] = ("pickle",)

    def handles(self, model: Any) -> bool:
        """Is ``model`` one of this library's objects? Must not import the library."""
        root = self.module.split(".", 1)[0]
        if root not in sys.modules:
            return False
        return type(model).__module__.split(".", 1)[0] == root

    def save(
        self, model: Any, path: Path, format: str, *, example: Any = None
    ) -> dict[str, Any]:
        """Write ``model`` in ``format`` under the directory ``path``; return the metadata
        ``load`` needs (at least ``{"files": [...]}``, paths relative to ``path``).

        ``example`` is a small input batch (the user's input example, or a slice of it) when
        one is known, else ``None``; formats that trace the model (ONNX, torch.export) need it
        and raise a clear error without it. Metadata with ``"flavor": "<other>"`` says the
        files belong to another flavor (every ``"onnx"`` format is served by the onnx flavor).
        """
        raise NotImplementedError

    def load(self, path: Path, meta: dict[str, Any]) -> Any:
        """The native object back from what ``save`` wrote."""
        raise NotImplementedError

    def predict(self, native: Any, data: Any) -> Any:
        """The library's own way to predict with ``native``."""
        raise NotImplementedError

    def autolog(self, recorder: Recorder) -> Sequence[Patch]:
        """Declare the patches that make training log itself (none by default)."""
        return ()


def importable_reference(cls: type) -> str | None:
    """``"module:qualname"`` of ``cls`` when importing that string gives ``cls`` back, else None.

    Formats that rebuild a model from its class at load time record this reference; a class
    defined in ``__main__`` or inside a function has none, and such formats must refuse it.
    """
    from autolog._plugins import resolve

    reference = f"{cls.__module__}:{cls.__qualname__}"
    try:
        found = resolve(reference)
    except Exception:  # any import failure means: not importable under that name
        return None
    return reference if found is cls else None

