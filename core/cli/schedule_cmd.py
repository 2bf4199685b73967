"""`backupdesk service|schedule|prune|status|restore-test|notify-test` (and `scheduler`, the
old name of `service run`)."""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from core.cli.context import CliContext, print_json, print_table
from core.errors import ConfigError, UsageError
from core.fmt import count, local_time
from core.status import plan_statuses
from core.watch.options import GRACE, parse_duration

# The service, its control, each job and the schedule store are imported by the commands that
# use them: a command loads only its own (tens of ms each; `status` stays as fast as before).

KINDS = ("backup", "verify", "restore_test")


def register(sub: Any) -> None:
    sv = sub.add_parser("service", help="the background service: scheduled backups, verifies "
                                        "and restore tests, device alerts, overdue checks")
    vsub = sv.add_subparsers(dest="service_command", metavar="ACTION", required=True,
                             parser_class=type(sv))
    _run_options(vsub.add_parser("run", help="run it in this terminal (what systemd and the "
                                             "autostart entry run)"))
    vsub.add_parser("start", help="start it in the background").set_defaults(
        func=_service_start)
    vsub.add_parser("stop", help="stop it").set_defaults(func=_service_stop)
    vst = vsub.add_parser("status", help="whether it runs, and what it would run")
    vst.add_argument("--json", action="store_true")
    vst.set_defaults(func=_service_status)
    vin = vsub.add_parser("install", help="install the systemd user unit and the autostart "
                                          "entry for this user")
    vin.add_argument("--enable", action="store_true", help="also enable the unit (at login)")
    vin.set_defaults(func=_service_install)
    vsub.add_parser("uninstall", help="stop it and remove the unit and the autostart entry"
                    ).set_defaults(func=_service_uninstall)
    # the old name of `service run`, for existing cron lines and units
    _run_options(sub.add_parser("scheduler"))

    sc = sub.add_parser("schedule", help="set, clear or list plans' schedules")
    ssub = sc.add_subparsers(dest="schedule_command", metavar="ACTION", required=True,
                             parser_class=type(sc))
    st = ssub.add_parser("set", help="set a plan's backup, verify or restore-test schedule")
    st.add_argument("plan")
    st.add_argument("expression", help="hourly, daily, weekly, monthly, 'every 15 minutes', "
                                       "'daily at 02:30', 'weekly on mon at 03:00', "
                                       "'monthly on 1 at 04:00' or a cron expression")
    st.add_argument("--kind", choices=KINDS, default="backup")
    st.add_argument("--missed", choices=("catch-up", "skip"),
                    help="a run missed while the machine was off: run it once (default) or skip")
    st.add_argument("--timezone", metavar="ZONE", help="IANA zone, e.g. Europe/Rome "
                                                        "(default: local time)")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=_set)
    cl = ssub.add_parser("clear", help="remove a plan's schedule")
    cl.add_argument("plan")
    cl.add_argument("--kind", choices=KINDS, default="backup")
    cl.set_defaults(func=_clear)
    ls = ssub.add_parser("list", help="list schedules with their next five runs")
    ls.add_argument("--plan")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=_list)

    pr = sub.add_parser("prune", help="remove backups that the plan's keep rules do not keep")
    pr.add_argument("plan")
    pr.add_argument("--dry-run", action="store_true", help="only say what would go and why")
    pr.add_argument("--json", action="store_true")
    pr.set_defaults(func=_prune)

    ss = sub.add_parser("status", help="per plan: watchdog state (ok, late, missing, hung, "
                                       "anomaly), last success, last result, next due; exit 1 "
                                       "when any plan is not ok")
    ss.add_argument("--json", action="store_true")
    ss.add_argument("--grace", type=_duration, default=GRACE, metavar="DURATION",
                    help="after a due time, how long before a plan that sets no --grace is "
                         "late (e.g. 30m, 2h; a bare number is minutes; default 1h)")
    ss.set_defaults(func=_status)

    rt = sub.add_parser("restore-test", help="restore a sample of the latest backup into a "
                                             "temporary folder and compare it")
    rt.add_argument("plan")
    rt.add_argument("--files", type=int, default=20, metavar="N")
    rt.add_argument("--json", action="store_true")
    rt.set_defaults(func=_restore_test)

    nt = sub.add_parser("notify-test", help="send a test mail with the notification settings")
    nt.set_defaults(func=_notify_test)


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--once", action="store_true",
                   help="start what is due now, wait for it and exit (for a cron line)")
    p.add_argument("--missed-after", type=int, default=2, metavar="MIN",
                   help="a run found later than this is a missed run (default 2)")
    p.add_argument("--autostart", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=_service_run)


def _service_run(ctx: CliContext, a: argparse.Namespace) -> int:
    from core import watch
    from core.service import BackgroundService, ServiceLock

    watch.install()

    if a.missed_after < 0:
        raise UsageError("--missed-after must not be negative.")
    if a.autostart:
        from core.service_control import autostart_should_skip

        if autostart_should_skip():
            return 0  # the systemd user unit runs it
    missed = timedelta(minutes=a.missed_after)
    if a.once:
        from core.scheduling.runtime import SchedulerService

        SchedulerService(ctx.catalogue, ctx.config.paths, missed_after=missed).once()
        return 0
    lock = ServiceLock(ctx.config.paths)
    if not lock.acquire():
        print("backupdesk service: already running for this state folder.", file=sys.stderr)
        return 0
    svc = BackgroundService(ctx.config, ctx.catalogue, missed_after=missed)

    def stop(*_: object) -> None:
        svc.scheduler.scheduler.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("backupdesk service: running; stop with Ctrl+C or SIGTERM.", file=sys.stderr,
          flush=True)
    try:
        svc.run()
    finally:
        svc.stop()
        lock.release()
    return 0


def _service_start(ctx: CliContext, a: argparse.Namespace) -> int:
    from core import service_control

    print(service_control.start(ctx.config))
    return 0


def _service_stop(ctx: CliContext, a: argparse.Namespace) -> int:
    from core import service_control

    print(service_control.stop(ctx.config))
    return 0


def _service_status(ctx: CliContext, a: argparse.Namespace) -> int:
    from core.service import status

    st = status(ctx.catalogue, ctx.config)
    if a.json:
        print_json({"running": st.running, "pid": st.pid, "systemd": st.systemd,
                    "scheduled_plans": st.scheduled_plans})
    else:
        print(st.text() + (f" (pid {st.pid})." if st.running else "."))
    return 0 if st.running else 3


def _service_install(ctx: CliContext, a: argparse.Namespace) -> int:
    from core import service_control

    exe = _executable()
    for p in service_control.install_units(exe, enable=a.enable):
        print(f"Installed {p}")
    return 0


def _executable() -> str:
    """The absolute path of the running backupdesk command (venv script or bundle)."""
    if getattr(sys, "frozen", False):
        return sys.executable
    here = Path(sys.argv[0])
    if here.name == "backupdesk" and here.exists():
        return str(here.resolve())
    found = shutil.which("backupdesk")
    if found is None:
        raise UsageError("Cannot tell where the backupdesk command is; run this as "
                         "`backupdesk service install` from the installed command.")
    return str(Path(found).resolve())


def _service_uninstall(ctx: CliContext, a: argparse.Namespace) -> int:
    from core import service_control

    for p in service_control.uninstall_units():
        print(f"Removed {p}")
    return 0


def _set(ctx: CliContext, a: argparse.Namespace) -> int:
    from core.scheduling import plan_schedules

    sc = plan_schedules.set_schedule(ctx.catalogue, a.plan, a.expression, kind=a.kind,
                                     missed=a.missed, timezone=a.timezone)
    data = plan_schedules.schedule_json(sc, a.plan)
    if a.json:
        print_json(data)
    else:
        print(f"{a.kind} schedule of {a.plan!r}: {data['expression']}; next: "
              f"{', '.join(data['next_runs'][:3])}")
    return 0


def _clear(ctx: CliContext, a: argparse.Namespace) -> int:
    from core.scheduling import plan_schedules

    found = plan_schedules.clear_schedule(ctx.catalogue, a.plan, a.kind)
    print(f"{a.kind} schedule of {a.plan!r} removed." if found
          else f"Plan {a.plan!r} had no {a.kind} schedule.")
    return 0


def _list(ctx: CliContext, a: argparse.Namespace) -> int:
    from core.scheduling import plan_schedules

    items = plan_schedules.list_schedules(ctx.catalogue, a.plan)
    if a.json:
        print_json(items)
        return 0
    print_table(["PLAN", "KIND", "SCHEDULE", "MISSED", "NEXT"],
                [[i["plan"], i["kind"], i["expression"], i["missed_policy"],
                  i["next_runs"][0] if i["enabled"] else "disabled"] for i in items])
    return 0


def _prune(ctx: CliContext, a: argparse.Namespace) -> int:
    from core.jobs.prune import prune_plan

    r = prune_plan(ctx.catalogue, ctx.config.paths, a.plan, dry_run=a.dry_run, trigger="cli")
    if a.json:
        print_json(r.to_json())
        return 1 if r.errors else 0
    for i in r.items:
        verb = "keep  " if i.keep else ("remove" if a.dry_run else "removed")
        print(f"{verb} {i.id:>6} {i.type:<11} {i.name}  ({i.reason})")
    print(r.message)
    return 1 if r.errors else 0


def _duration(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ConfigError as e:
        raise argparse.ArgumentTypeError(str(e)) from e


def _status(ctx: CliContext, a: argparse.Namespace) -> int:
    items = plan_statuses(ctx.catalogue, grace=a.grace, watch=True)
    bad = any(not s.watched_ok for s in items)
    if a.json:
        print_json([s.to_json() for s in items])
        return 1 if bad else 0
    if not items:
        print("No plans.")
        return 0
    for s in items:
        w = s.watch
        last = local_time(s.last_success) if s.last_success else "never"
        nxt = local_time(s.next_due) if s.next_due else (
            f"expected by {local_time(w.due)}" if w and w.due else "not scheduled")
        flag = "  OVERDUE" if s.overdue else ""
        state = (w.state if w.state == "ok" else w.state.upper()) if w else "ok"
        print(f"{s.plan}: {state}; last success {last}; last result {s.last_result or '-'}; "
              f"next due {nxt}{flag}")
        if w is not None and w.state != "ok":
            for p in w.problems:
                print(f"  {p.text}")
    return 1 if bad else 0


def _restore_test(ctx: CliContext, a: argparse.Namespace) -> int:
    from core.jobs.restore_check import run_restore_check

    r = run_restore_check(ctx.catalogue, a.plan, count=a.files, trigger="cli")
    if a.json:
        print_json(r.to_json())
    else:
        print(f"Restored and compared {count(r.checked, 'file')} of backup {r.backup_id}: "
              + ("all match." if r.ok else f"{len(r.problems)} differ."))
        for p in r.problems:
            print(f"  {p}")
    return 0 if r.ok else 1


def _notify_test(ctx: CliContext, a: argparse.Namespace) -> int:
    from core.alerts import Alerts, AlertSettings, send_mail

    s = AlertSettings.load(ctx.config.paths)
    send_mail(s, Alerts(ctx.config.paths).password(), "Backup Desk: test mail",
              "This is a test mail from Backup Desk: notifications reach you.")
    print(f"Test mail sent to {', '.join(s.recipients)}.")
    return 0
