"""The file index: every version of every file across a plan's backups, each stored once per run
of backups holding it (store.py), fed at the end of each backup (feed.py, indexing.py), and
asked by `find`, `diff` and `restore --file` (find.py, diff.py, versions.py)."""
