"""Stage 2, plan: what is stale (fingerprints of the sources) and the content-addressed cache."""
