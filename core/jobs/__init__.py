"""The job layer: every job of every engine and kind has one life (core.jobs.lifecycle).

Engines are catalogue-free; the modules here run them inside a job and record what they
return. Hooks, pings and checks attach to the job events of core.jobs.lifecycle, once.
"""
