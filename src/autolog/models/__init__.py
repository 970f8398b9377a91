"""Models: the Flavor interface, the model directory, signatures, LoadedModel."""
