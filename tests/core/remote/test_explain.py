"""rclone's stderr becomes one sentence; its NOTICE lines are never the reason given."""

from core.remote.rclone import explain

NOTICE = ("2026/12/04 14:30:31 NOTICE: S3 bucket bkt path backups/x: Streaming uploads using "
          "chunk size 5Mi will have maximum file size of 48.828Gi")


def test_a_notice_is_not_the_reason() -> None:
    err = f"{NOTICE}\n2026/12/04 14:30:33 ERROR : x: Failed to copy: server gone away\n"
    assert str(explain("s3://bkt/backups", err)) == (
        "Remote s3://bkt/backups: x: Failed to copy: server gone away.")


def test_only_notices_say_rclone_gave_no_reason() -> None:
    assert str(explain("s3://bkt/backups", NOTICE + "\n")) == (
        "Remote s3://bkt/backups: rclone stopped without saying why.")


def test_a_refused_connection_is_unreachable() -> None:
    err = f"{NOTICE}\n2026/12/04 14:30:33 ERROR : dial tcp 127.0.0.1:9: connection refused\n"
    assert str(explain("s3://bkt/backups", err)) == (
        "Remote s3://bkt/backups: it cannot be reached.")
