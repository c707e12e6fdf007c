"""`podcast import`: a show folder made from an existing RSS feed (feed.py reads the feed,
fetch.py downloads, writer.py writes podcast.toml and the episodes, run.py ties them together
and reports what it did and what it skipped). A tool beside the build, like `podcast new`: it
writes sources, which the loader then checks as it checks what editors write."""
