"""Autologging: ``enable()`` makes training calls log themselves; ``disable()`` undoes it.

The pieces: ``_switch`` (enable/disable, which flavors), ``_hooks`` (post-import hooks),
``_patch`` (the only wrapt user: apply, ledger, revert), ``_recorder`` (which run a call logs
into, the nesting guard), ``_safe`` (our failures become one warning, never the user's).
"""

from __future__ import annotations

from autolog.autologging._config import AutologConfig
from autolog.autologging._recorder import Recorder, TrainingCall
from autolog.autologging._safe import safe
from autolog.autologging._switch import disable, enable, enabled

__all__ = ["AutologConfig", "Recorder", "TrainingCall", "disable", "enable", "enabled", "safe"]
