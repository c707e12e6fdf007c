"""Stage 5, publish: guard the GUIDs, then swap the staging folder in as the output folder."""
