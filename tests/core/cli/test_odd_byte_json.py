"""Paths with bytes that are not UTF-8 print as JSON the way `find`/`diff` print them: lone
surrogates escaped (\\udcNN), so os.fsencode of the decoded string gives the bytes back."""
import json
import os
import subprocess
import sys


def _cli(home, *args):
    env = {**os.environ, "BACKUPDESK_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "core", *args], capture_output=True,
                          env=env, timeout=120)


def test_plan_show_list_and_run_print_odd_byte_paths_as_json(tmp_path):
    home = tmp_path / "home"
    src = os.path.join(os.fsencode(tmp_path), b"src\xff")
    os.mkdir(src)
    with open(os.path.join(src, b"caf\xe9.txt"), "wb") as f:
        f.write(b"x")
    add = _cli(home, "plan", "add", "odd", "--engine", "archive", "--source", os.fsdecode(src),
               "--dest", str(tmp_path / "d"))
    assert add.returncode == 0, add.stderr
    for args in (("plan", "show", "odd", "--json"), ("plan", "list", "--json")):
        r = _cli(home, *args)
        assert r.returncode == 0, r.stderr
        assert b"src\\udcff" in r.stdout  # as find/diff print it, and valid UTF-8
        data = json.loads(r.stdout)
        plan = data if isinstance(data, dict) else data[0]
        assert [os.fsencode(s) for s in plan["sources"]] == [src]
    run = _cli(home, "run", "odd", "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["backup_id"]
    name = os.path.join(src, b"caf\xe9.txt")
    rst = _cli(home, "restore", "--file", os.fsdecode(name), "--to", str(tmp_path / "out"),
               "--json")
    assert rst.returncode == 0, rst.stderr
    assert name.endswith(os.fsencode(json.loads(rst.stdout)["path"]))
    assert _cli(home, "reindex").returncode == 0  # crashed writing the odd-byte common folder
    found = _cli(home, "find", "*caf*", "--json")
    assert found.returncode == 0, found.stderr
    assert b"caf\\udce9.txt" in found.stdout
