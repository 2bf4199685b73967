#!/bin/sh
# Backup Desk launcher: the self-contained build lives in /opt/backupdesk.
exec /opt/backupdesk/backupdesk "$@"
