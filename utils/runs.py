"""The run-folder names of earlier code, kept importable from one place (provided code).

The code lives in four files, one job each: ``utils/run_names.py`` (a run's folder name),
``utils/run_classes.py`` (which classes a ``run.json`` may name), ``utils/run_files.py``
(saving, loading and checking a run folder) and ``utils/run_choice.py`` (the best run).
New code imports from those.
"""

from utils.errors import RunError
from utils.run_choice import RunSummary, best_classification_run, classification_runs, is_cross_entropy
from utils.run_classes import RECORD_FILE, TRAIN_AGAIN, WEIGHTS_FILE, restore
from utils.run_files import (
    RUNS_DIR,
    check_params_match,
    check_runs_dir,
    check_weights_fit,
    load_record,
    load_weights,
    read_weights,
    save_run,
)
from utils.run_names import describe, describe_function, run_name

__all__ = [
    "RECORD_FILE", "RUNS_DIR", "TRAIN_AGAIN", "WEIGHTS_FILE", "RunError", "RunSummary", "best_classification_run",
    "check_params_match", "check_runs_dir", "check_weights_fit", "classification_runs", "describe",
    "describe_function", "is_cross_entropy", "load_record", "load_weights", "read_weights", "restore", "run_name",
    "save_run",
]
