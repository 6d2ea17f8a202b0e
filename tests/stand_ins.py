"""Lets each part of task 3 be checked on its own, in any order of work.

``_train_one_epoch`` and ``_validate`` hold four TODOs (3a-3d). To check one of them while
others are still blank, the tests swap each remaining ``raise NotImplementedError("TODO 3x")``
for a simple stand-in that is just good enough to run (it is not the answer: no learning, losses
averaged per batch). Parts you have written are always used as you wrote them.
"""

from __future__ import annotations

import ast
import inspect
import textwrap

STAND_INS = {
    ("_train_one_epoch", "3a"): ["train_loss = 0.0"],
    ("_validate", "3a"): ["validation_loss = 0.0"],
    ("_train_one_epoch", "3b"): ["output = model(input_data)\nloss = criterion(output, target)"],
    ("_train_one_epoch", "3c"): ["train_loss = train_loss + float(loss)",
                                 "train_loss = train_loss / len(train_batches)"],
    ("_validate", "3d"): ["for input_data, target in val_batches:\n"
                          "    output = model(input_data)\n"
                          "    validation_loss = validation_loss + float(criterion(output, target))\n"
                          "validation_loss = validation_loss / len(val_batches)"],
}


def _todo_tag(node):
    """The tag of ``raise NotImplementedError("TODO 3b")``, else None."""
    if not isinstance(node, ast.Raise) or not isinstance(node.exc, ast.Call):
        return None
    call = node.exc
    if getattr(call.func, "id", None) != "NotImplementedError" or not call.args:
        return None
    text = getattr(call.args[0], "value", None)
    if isinstance(text, str) and text.startswith("TODO "):
        return text.split()[1].rstrip(":")
    return None


class _SwapStubs(ast.NodeTransformer):
    def __init__(self, method, keep):
        self.method, self.keep, self.used, self.swapped = method, keep, {}, 0

    def visit_Raise(self, node):
        tag = _todo_tag(node)
        options = STAND_INS.get((self.method, tag))
        if tag is None or tag == self.keep or not options:
            return node
        index = self.used.get(tag, 0)
        self.used[tag] = index + 1
        self.swapped += 1
        body = ast.parse(options[min(index, len(options) - 1)]).body
        for statement in body:
            for child in ast.walk(statement):
                if hasattr(child, "lineno"):
                    child.lineno = child.end_lineno = node.lineno
        return body


def trainer_with_stand_ins(trainer_class, keep=None):
    """A subclass of ``trainer_class`` whose task-3 stubs, other than ``keep``'s, run stand-ins."""
    methods = {}
    for name in ("_train_one_epoch", "_validate"):
        function = getattr(trainer_class, name)
        try:
            lines, first_line = inspect.getsourcelines(function)
            tree = ast.parse(textwrap.dedent("".join(lines)))
        except (OSError, TypeError, SyntaxError):
            continue
        ast.increment_lineno(tree, first_line - 1)  # tracebacks point at the student's own lines
        swapper = _SwapStubs(name, keep)
        tree = ast.fix_missing_locations(swapper.visit(tree))
        if swapper.swapped:
            namespace = {}
            exec(compile(tree, inspect.getsourcefile(function), "exec"),  # noqa: S102 - the student's own code
                 function.__globals__, namespace)
            methods[name] = namespace[name]
    return type(trainer_class.__name__, (trainer_class,), methods) if methods else trainer_class
