"""Stage 1, load and validate: the schema, every editors' file checked once, the show."""
