"""The mutants of the tiny assignment (``tools/mutants.py``): realistic mistakes, one subtask each.

Each mutant replaces a snippet that occurs exactly once inside the fences of its subtask's TODO
in ``solutions/<file>`` with the wrong version a student might write; that subtask's checks must
then fail.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MUTANTS", "Mutant"]


@dataclass(frozen=True)
class Mutant:
    tag: str    # the subtask whose tests must catch it
    name: str   # a few words: what the student got wrong
    file: str   # relative to solutions/
    old: str    # exact text inside a fence of `tag`, found once there
    new: str    # the wrong version

    @property
    def label(self):
        return f"{self.tag}: {self.name}"


M = Mutant
STATS = "stats.py"

MUTANTS = (
    # 1a: the mean
    M("1a", "divides by n - 1", STATS, "total / len(numbers)", "total / (len(numbers) - 1)"),
    M("1a", "integer division", STATS, "total / len(numbers)", "total // len(numbers)"),
    M("1a", "leaves out the last number", STATS, "sum(numbers)", "sum(numbers[:-1])"),
    M("1a", "the largest number, not the sum", STATS, "sum(numbers)", "max(numbers)"),
    M("1a", "returns the sum", STATS, "return total / len(numbers)", "return total"),
    M("1a", "rounds the mean", STATS, "return total / len(numbers)", "return round(total / len(numbers))"),
    # 1b: standardise
    M("1b", "sample standard deviation (n - 1)", STATS, "mean_of([(x - mean) ** 2 for x in numbers]) ** 0.5",
      "(sum((x - mean) ** 2 for x in numbers) / (len(numbers) - 1)) ** 0.5"),
    M("1b", "divides by the variance", STATS, "for x in numbers]) ** 0.5", "for x in numbers])"),
    M("1b", "not centred", STATS, "[(x - mean) / spread for x in numbers]", "[x / spread for x in numbers]"),
    M("1b", "not scaled", STATS, "[(x - mean) / spread for x in numbers]", "[x - mean for x in numbers]"),
    M("1b", "mean absolute deviation", STATS, "(x - mean) ** 2", "abs(x - mean)"),
    M("1b", "no ValueError for equal numbers", STATS, "if spread == 0:", "if spread < 0:"),
    # bonus a: the median
    M("bonus_a", "not sorted", STATS, "ordered = sorted(numbers)", "ordered = list(numbers)"),
    M("bonus_a", "even count: the upper middle", STATS, "return (ordered[middle - 1] + ordered[middle]) / 2",
      "return ordered[middle]"),
    M("bonus_a", "middle one too early", STATS, "middle = len(ordered) // 2", "middle = (len(ordered) - 1) // 2"),
)
