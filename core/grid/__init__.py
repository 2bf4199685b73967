"""Remote backup daemons: adapters per status format, a merge into unified devices, a poller,
the node list in the catalogue, and Backup Desk's own read-only agent."""
