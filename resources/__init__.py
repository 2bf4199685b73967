"""Backup Desk's data files (icons, palettes, desktop entry, service units): installed as the
package `backupdesk_resources` and found through importlib.resources (core.packaged)."""
