"""The TODO comments say what to write, not how: they leave the code to the student.

Measured per fence of the solutions: the share of the solution's code tokens (names, numbers,
strings; no keywords or punctuation) that its TODO contains in the same order (the longest
common subsequence). No solution line may stand in its TODO, and the median share stays under
a quarter. ``python tests/course/test_todo_words.py`` prints the figures per fence.
"""

from __future__ import annotations

import io
import keyword
import re
import statistics
import sys
import textwrap
import tokenize
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tools"))
from fences import fences  # noqa: E402
from make_templates import SOLUTIONS  # noqa: E402

pytestmark = pytest.mark.instructor

MEDIAN_LIMIT = 0.25
# The sheet itself writes 2b's second hidden layer as this call; the TODO may repeat the sheet.
SHEET_LINES = {"2b": {"_dense_layer(hidden_shape, hidden_shape, activation_func)"}}
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?(?:e-?\d+)?|\"[^\"]*\"|'[^']*'")


def code_tokens(lines):
    """Names, numbers and strings of a block of code, in order (keywords and punctuation left out)."""
    text = textwrap.dedent("\n".join(line for line in lines if not line.strip().startswith("#")))
    tokens = []
    for token in tokenize.generate_tokens(io.StringIO(text + "\n").readline):
        if token.type == tokenize.NAME and not keyword.iskeyword(token.string):
            tokens.append(token.string)
        elif token.type in (tokenize.NUMBER, tokenize.STRING):
            tokens.append(token.string)
    return tokens


def text_tokens(text):
    return WORD.findall(text)


def common_in_order(a, b):
    """Length of the longest common subsequence of two token lists."""
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def normalized(text):
    return re.sub(r"\s+", "", text)


def solution_lines(body):
    """The lines of a fence worth comparing: code with at least two tokens (not `else:` or `)`)."""
    lines = []
    for line in body:
        stripped = line.strip()
        if stripped.startswith("#") or len(WORD.findall(stripped)) < 2:
            continue
        lines.append(stripped)
    return lines


def all_fences():
    """(file, tag, todo text, body, uncomment) for every fence of every solution file."""
    found = []
    for path in sorted(SOLUTIONS.rglob("*.py")):
        for fence in fences(path.read_text(), path):
            tag, text, body, uncomment = fence.tag, fence.text, list(fence.body), bool(fence.begin["mode"])
            found.append((path.relative_to(SOLUTIONS).as_posix(), tag, text, body, uncomment))
    return found


def measure():
    rows = []
    for file, tag, text, body, uncomment in all_fences():
        tokens = code_tokens(body)
        share = common_in_order(tokens, text_tokens(text)) / len(tokens) if tokens else 0.0
        verbatim = [line for line in solution_lines(body) if normalized(line) in normalized(text)
                    and line not in SHEET_LINES.get(tag, ())]
        rows.append({"file": file, "tag": tag, "share": share, "tokens": len(tokens), "verbatim": verbatim,
                     "uncomment": uncomment})
    return rows


def core(rows):
    return [row for row in rows if not row["tag"].startswith("bonus_")]


def test_no_solution_line_stands_in_its_todo():
    offenders = [f"{row['file']} TODO {row['tag']}: {line}" for row in measure() for line in row["verbatim"]]
    assert not offenders, "solution lines written out in their TODO:\n" + "\n".join(offenders)


def test_todos_hold_under_a_quarter_of_their_solution():
    rows = measure()
    for group in (core(rows), rows):
        median = statistics.median(row["share"] for row in group)
        assert median < MEDIAN_LIMIT, f"median share of solution tokens in the TODO: {median:.0%}"


def test_the_measure_counts_tokens_in_order():
    tokens = code_tokens(["loss = criterion(output, target)"])
    assert tokens == ["loss", "criterion", "output", "target"]
    assert common_in_order(tokens, text_tokens("compute the loss with criterion")) == 2
    assert common_in_order(tokens, text_tokens("target, then output")) == 1


if __name__ == "__main__":
    rows = measure()
    for row in rows:
        mark = " (uncomment)" if row["uncomment"] else ""
        print(f"{row['file']:<28} {row['tag']:<8} {row['share']:5.0%} of {row['tokens']:>3} tokens"
              f"{'  VERBATIM: ' + '; '.join(row['verbatim']) if row['verbatim'] else ''}{mark}")
    for name, group in (("core", core(rows)), ("all", rows)):
        shares = [row["share"] for row in group]
        print(f"{name}: median {statistics.median(shares):.0%}, max {max(shares):.0%}, "
              f"{sum(bool(row['verbatim']) for row in group)} fence(s) with a verbatim line, {len(group)} fences")
