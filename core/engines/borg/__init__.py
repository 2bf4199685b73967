"""The borg engine: borg driven through its frontend contract (`--log-json`, `--json`).

engine.py is the engine object (core.engines.api.RepositoryEngine); ops.py runs one borg
command each, through process.py. Nothing here touches the catalogue or the job layer:
core.jobs.repository runs the jobs and records what the engine returns.
"""
