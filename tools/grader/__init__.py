"""The grader behind ``tools/grade.py``, one module per job.

``submissions`` reads what students handed in (folders and zips, refusing links and unsafe names);
``expected`` learns the test ids from the clean release; ``sandbox`` builds the isolated command
of one pytest run; ``runner`` runs one submission's tests under a watchdog, one test at a time;
``verdicts`` turns per-test outcomes into subtask verdicts; ``scan`` flags code that reaches for
the grader; ``reports`` writes the gradebook, the feedback and Gradescope's results.
"""
