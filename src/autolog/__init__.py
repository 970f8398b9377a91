"""autolog: records machine-learning training by itself."""
__version__ = "0.1.0"
