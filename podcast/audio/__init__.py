"""Audio stage: probe, measure loudness, render the podcast and broadcast renditions."""
