"""Scorers: stateless callables that turn a replayed transcript into per-criterion scores."""
