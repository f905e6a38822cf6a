"""The run log: what each pipeline run changed (``diversion changes``).

``record.recorded_run`` wraps a run (``diversion run`` or one stage command);
each tracked stage inside it compares its output before and after
(``state``, ``diff``) and writes the differences to ``run_changes``. The read
side is ``diversion.read.changes``.
"""

from diversion.runs.record import RunRecorder, recorded_run

__all__ = ["RunRecorder", "recorded_run"]
