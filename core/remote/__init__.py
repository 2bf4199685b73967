"""Remote destinations through the rclone binary: where a destination string points
(`location.py`), the plan's remote settings (`settings.py`) and the rclone driver
(`rclone.py`)."""
