"""Build step: official raw files → the project's own tidy files under data/."""
