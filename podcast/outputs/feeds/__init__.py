"""Feeds: the podcast feed (iTunes + Podcasting 2.0) and the partner feed for radio stations."""
