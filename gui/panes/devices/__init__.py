"""Devices pane: remote backup daemons' devices as coloured tiles."""
