"""The live server around the core: the engine (group commit) and the event hub."""
