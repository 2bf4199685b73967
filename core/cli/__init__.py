"""The `backupdesk` command. No Qt here: the GUI is imported only when asked for."""
