"""Scheduling: when schedules are due and what runs then.

- `expressions`: schedule expressions (presets and cron), validated; the next runs.
- `due_times`: due times of an expression in a time zone, across DST changes.
- `plan_schedules`: a plan's schedules (backup, verify, restore test): set, clear, list.
- `loop`: the scheduler loop: claims each due run once and launches it.
- `due_jobs`: what a due run does (backup, verify, restore test), its alerts, overdue checks.
- `runtime`: the loop with its jobs in threads and alerts: what the background service and
  the window (gui.window_scheduler) run.
"""
