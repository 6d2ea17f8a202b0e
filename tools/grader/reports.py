"""What grading writes: the gradebook, each student's feedback, Gradescope's results, the summary."""

from __future__ import annotations

import csv
import json
import statistics
from dataclasses import dataclass, field

from utils.internals.subtasks import SUBTASKS

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
MAX_REVIEW = 1500  # characters of the review column


@dataclass
class Graded:
    name: str
    status: str = "ok"  # ok | timed out | crashed | out of memory | disk full | unreadable | refused | grader error
    note: str = ""
    subtasks: dict = field(default_factory=dict)   # tag -> {"status", "detail", "hidden"}
    tests: dict = field(default_factory=dict)      # nodeid -> outcome
    seconds: float = 0.0
    files: list = field(default_factory=list)      # student files found in the submission
    flags: list = field(default_factory=list)      # "file:line what" of the static scan, and channel notes
    sandbox: str = "bwrap"
    output: str = ""                               # the tail of pytest's output

    def points(self, subtask):
        return subtask.points if self.subtasks.get(subtask.tag, {}).get("status") == "done" else 0

    @property
    def total(self):
        return sum(self.points(subtask) for subtask in SUBTASKS)

    @property
    def review(self):
        if not self.flags:
            return ""
        text = "flagged: " + "; ".join(self.flags)
        return text if len(text) <= MAX_REVIEW else text[:MAX_REVIEW - 20] + f" ... ({len(self.flags)} flags)"

    @property
    def status_line(self):
        line = self.status
        if self.status != "ok":
            line = self.note if self.note.startswith(self.status) else f"{self.status}: {self.note}"
        return line + (" (not sandboxed)" if self.sandbox == "none" else "")


def outcome_record(graded):
    return {"status": graded.status, "note": graded.note, "sandbox": graded.sandbox, "files": graded.files,
            "review": graded.flags, "subtasks": graded.subtasks, "tests": graded.tests}


def gradescope_results(graded, hidden_visibility="after_published"):
    """Gradescope's results.json: one entry per subtask; two where hidden checks count toward it."""
    from grader.safe import MAX_FEEDBACK_TEXT, Budget
    from grader.verdicts import public_verdict

    budget = Budget(MAX_FEEDBACK_TEXT // 2)
    tests = []
    for subtask in SUBTASKS:
        row = graded.subtasks[subtask.tag]
        name = f"{subtask.tag} {subtask.title}"
        entry = {"name": name, "number": subtask.tag, "score": graded.points(subtask), "max_score": subtask.points,
                 "status": "passed" if row["status"] == "done" else "failed",
                 "output": f"{row['status']}: {row['detail']}".strip(), "visibility": "visible"}
        if row.get("hidden"):
            passed, detail = public_verdict(graded.tests, subtask.tag)
            detail = budget.take(detail, f"{'done' if passed else 'failing'}: (more in the check's own message: "
                                         f"{subtask.check})")
            tests.append({"name": f"{name}: public checks", "number": f"{subtask.tag}.public", "score": 0,
                          "max_score": 0, "status": "passed" if passed else "failed", "output": detail,
                          "visibility": "visible"})
            entry["visibility"] = hidden_visibility
        tests.append(entry)
    output = "" if graded.status == "ok" else f"{graded.status_line}"
    return {"score": graded.total, "execution_time": round(graded.seconds, 1), "output": output,
            "output_format": "text", "tests": tests}


def _cell(text):
    """Submission text as one Markdown table cell: no HTML of its own, no column break."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\n", "<br>")


def feedback_markdown(graded):
    core = sum(subtask.points for subtask in SUBTASKS if not subtask.is_bonus)
    bonus = sum(subtask.points for subtask in SUBTASKS if subtask.is_bonus)
    got_core = sum(graded.points(subtask) for subtask in SUBTASKS if not subtask.is_bonus)
    lines = [f"# Feedback: {_cell(graded.name)}", "",
             f"**{graded.total:g} points**: {got_core:g} of {core:g} for tasks 1-4, "
             f"{graded.total - got_core:g} of {bonus:g} for the bonus tasks.", ""]
    if graded.status in ("unreadable", "refused", "grader error"):
        lines += [f"**Not graded ({_cell(graded.note)}).**", ""]
    elif graded.status != "ok":
        lines += [f"**Some checks were stopped ({_cell(graded.note)}).** Each stopped check fails only its own "
                  "subtask; the other subtasks were checked as usual.", ""]
    elif graded.note:
        lines += [f"Note: {_cell(graded.note)}.", ""]
    if any(row.get("hidden") for row in graded.subtasks.values()):
        lines += ["Grading adds checks you do not see to some subtasks: where your public checks pass but those "
                  "do not, the table says so.", ""]
    lines += ["| subtask | status | points | detail |", "|---|---|---|---|"]
    for subtask in SUBTASKS:
        row = graded.subtasks[subtask.tag]
        lines.append(f"| {subtask.tag} {_cell(subtask.title)} | {row['status']} | "
                     f"{graded.points(subtask):g} / {subtask.points:g} | {_cell(row['detail'])} |")
    lines += ["", "Check one subtask yourself: `python -m pytest -m task2a` (bonus: `-m bonus_a`); "
              "add `-v` for the traceback.", ""]
    return "\n".join(lines)


def write_gradebook(path, results):
    with open(path, "w", newline="", encoding="utf-8", errors="replace") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", *(subtask.tag for subtask in SUBTASKS), "total", "status", "review"])
        for graded in sorted(results, key=lambda graded: graded.name):
            writer.writerow([graded.name, *(f"{graded.points(subtask):g}" for subtask in SUBTASKS),
                             f"{graded.total:g}", graded.status_line, graded.review])


def summary(results, seconds, sandbox_line):
    """The instructor's summary: means, statuses, the sandbox, and every flag by submission, file and line."""
    count = len(results)
    lines = [f"graded {count} submission(s) in {seconds:.0f} s; {sandbox_line}"]
    if count:
        lines.append("mean points per subtask: " + ", ".join(
            f"{subtask.tag} {statistics.mean(graded.points(subtask) for graded in results):.2g}/{subtask.points:g}"
            for subtask in SUBTASKS))
        total = sum(subtask.points for subtask in SUBTASKS)
        lines.append(f"mean total {statistics.mean(graded.total for graded in results):.1f} of {total:g}")
        statuses = {}
        for graded in results:
            statuses[graded.status] = statuses.get(graded.status, 0) + 1
        lines.append("status: " + ", ".join(f"{n} {status}" for status, n in sorted(statuses.items())))
    for graded in sorted(results, key=lambda graded: graded.name):
        if graded.status in ("refused", "unreadable", "grader error"):
            lines.append(f"{graded.status}: {graded.name}: {graded.note}")
    flagged = [graded for graded in results if graded.flags]
    if flagged:
        lines.append(f"review: {len(flagged)} submission(s) have code that reaches for the grader "
                     "(the review column of grades.csv):")
        for graded in sorted(flagged, key=lambda graded: graded.name):
            shown = graded.flags[:8]
            more = f" ... and {len(graded.flags) - len(shown)} more" if len(graded.flags) > len(shown) else ""
            lines.append(f"  {graded.name}: " + "; ".join(shown) + more)
    return "\n".join(lines)


def write_json(path, data):
    write_text(path, json.dumps(data, indent=1))


def write_text(path, text):
    """UTF-8 whatever the locale; a character that cannot be written (a lone surrogate) becomes "?"."""
    path.write_text(text, encoding="utf-8", errors="replace")
