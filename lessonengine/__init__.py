"""The lesson engine: content loading, Markdown rendering and TeX typesetting (no Flask)."""
