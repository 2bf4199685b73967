"""Qt adapters over core: the main window, its panes, and the worker bridge."""
