"""The installed version of autolog (kept out of the package's ``__init__``, so modules below
the public façade can read it without importing the façade)."""

__version__ = "0.1.0"
