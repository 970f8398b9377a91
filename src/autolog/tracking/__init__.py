"""Tracking: entities, the fluent API, Client, the background writer, search."""
