"""One module per page of the main window (STYLE.md: no thousand-line main window)."""
