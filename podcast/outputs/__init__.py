"""Stage 4, outputs: every published file (tags, bext, chapters, transcripts, pages, feeds)."""
