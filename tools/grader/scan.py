"""Flags for review: code in a student file that goes beyond what the assignment needs.

A static scan of each student file, read exactly as Python imports it (its byte-order mark and
its ``coding:`` line, ``importlib.util.decode_source``), walked with an explicit stack (no depth
is too deep). It is an allow-list: imports only of the modules the course uses; no dunder
attribute but ``__name__``, ``__init__``, ``__doc__``, ``__qualname__``; no ``getattr``/``setattr``/
``delattr``/``hasattr`` with a computed name; no ``exec``/``eval``/``compile``/``__import__``/
``globals``/``vars``; no module reached through another module's attributes (``torch.sys``,
``os.sys``); of ``sys`` and ``os`` only the harmless parts; no unpickling ``load``. What it cannot
read (another encoding than UTF-8, a file that does not decode or parse, one too deep to walk)
is flagged too. Each flag names the file, the line and what was found. A flag does not change
the points: an instructor reads the code and decides. The course's own templates and
solutions raise none.
"""

from __future__ import annotations

import ast
import importlib.util
import io
import re
import sys
import tokenize
from pathlib import PurePosixPath

from utils.internals.subtasks import STUDENT_FILES

COURSE_MODULES = {PurePosixPath(file).parts[0].removesuffix(".py") for file in STUDENT_FILES} | {"utils"}
ALLOWED_IMPORTS = COURSE_MODULES | {
    "torch", "torchvision", "numpy", "matplotlib", "PIL", "tqdm",
    "math", "random", "functools", "itertools", "collections", "dataclasses", "typing", "pathlib",
    "__future__", "argparse", "csv", "json", "time", "statistics", "copy", "enum", "abc", "warnings",
    "string", "sys", "os",
}
# Of these two modules, only these parts (os.path.* is all allowed).
MODULE_PARTS = {
    "sys": {"path", "exit", "stderr", "stdout", "version", "version_info", "platform", "maxsize", "float_info"},
    "os": {"path", "makedirs", "mkdir", "listdir", "scandir", "getcwd", "sep", "linesep", "cpu_count", "remove"},
}
ALLOWED_DUNDER_ATTRIBUTES = {"__name__", "__init__", "__doc__", "__qualname__"}
ALLOWED_DUNDER_NAMES = {"__name__", "__file__", "__doc__"}
ALLOWED_DUNDER_STORES = {"__all__"}
REFLECTION = {"getattr", "setattr", "delattr", "hasattr"}
# getattr with a computed name only picks a layer, an initialiser or an optimiser out of these, by name.
COMPUTED_GETATTR_TARGETS = {"torch.nn", "torch.nn.init", "torch.optim", "torch.optim.lr_scheduler"}
BANNED_CALLS = {"eval", "exec", "compile", "__import__", "globals", "locals", "vars", "breakpoint"}
# Attribute names that are modules of Python's own library, harmless where another library has one of the name
# (np.array, x.copy(), torch.random, torchvision.io, torch.signal).
HARMLESS_NAMES = {"array", "copy", "io", "types", "string", "select", "stat", "signal", "queue", "numbers", "abc",
                  "enum", "operator", "token", "test", "fractions", "decimal", "statistics", "datetime", "calendar",
                  "glob", "random", "math", "cmath", "time", "json", "csv", "functools", "itertools", "collections",
                  "typing", "warnings", "dataclasses", "copyreg", "graphlib", "colorsys", "this",
                  "textwrap", "html", "email", "platform", "errno", "keyword", "symtable", "tabnanny", "bisect",
                  "heapq", "contextlib", "weakref"}
THROUGH_ATTRIBUTES = (set(sys.stdlib_module_names) | {"pytest", "_pytest", "pluggy", "grading_plugin", "conftest",
                                                      "progress_report"}) - HARMLESS_NAMES
# Parts of torch and numpy that load native code, run downloaded code or widen what unpickling may call.
BANNED_ATTRIBUTES = {"cpp_extension", "load_inline", "load_library", "hub", "add_safe_globals", "safe_globals",
                     "package", "ctypeslib"}
WHY = {  # what the modules most often reached for would give a student file
    "ctypes": "raw memory and C calls", "gc": "reaches other objects of the process", "socket": "sockets",
    "ssl": "sockets", "http": "network", "urllib": "network", "requests": "network", "subprocess": "subprocesses",
    "multiprocessing": "subprocesses", "pty": "subprocesses", "signal": "signals", "resource": "resource limits",
    "mmap": "mmap", "_pytest": "pytest internals", "pytest": "pytest internals", "pluggy": "pytest internals",
    "importlib": "imports by name", "builtins": "builtins", "inspect": "frames of the tests", "threading": "threads",
    "_thread": "threads", "atexit": "atexit hooks", "pickle": "unpickling runs code", "marshal": "code objects",
    "codecs": "decoding hidden code", "base64": "decoding hidden code", "zlib": "decoding hidden code",
    "conftest": "the tests' conftest", "progress_report": "the grader's report",
    "grading_plugin": "the grader's plugin",
}
# Frames and code objects: a way to the builtins, the tests' locals and every module.
FRAME_ATTRIBUTES = {"_getframe", "f_builtins", "f_globals", "f_locals", "f_back", "f_code", "gi_frame", "cr_frame",
                    "ag_frame", "tb_frame", "tb_next", "co_code", "get_type_hints", "ForwardRef", "_eval_type",
                    "format_map", "vformat"}
# Loaders that may unpickle: only with a literal weights_only=True (torch) / without allow_pickle=True (numpy).
LOADS = {"load", "loads", "load_state_dict_from_url"}
STRINGS = ("/proc", "/dev/", "/sys/", "solutions", "grading_plugin", "progress_report", "conftest", "_pytest",
           "/etc/", "/root", "/home")
_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=]")
ABSOLUTE = re.compile(r"\s*/[\w.~-]")  # "/etc/x", " /proc": a path; " / pred " is not one
FORMAT_REACH = re.compile(r"\{[^{}]*(\.|\[)[^{}]*(__|\bf_|\bgi_|\bmodules\b)")  # "{0.__init__.__globals__}"
CODE_IN_STRING = re.compile(r"^[ \t]*(import|from)[ \t]+[\w.]+|^[ \t]*def[ \t]+\w+[ \t]*\(", re.M)


def _dunder(name):
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def _why(module):
    return f"{WHY[module]}, not a module the course uses" if module in WHY else "not a module the course uses"


def _flag_string(text):
    if any(marker in text for marker in STRINGS):
        return "a path outside its folder" if text.lstrip().startswith("/") else "a name of the grader"
    stripped = text.strip()
    if ABSOLUTE.match(text) or stripped.startswith("~") or "../" in text or stripped == "..":
        return "a path outside its folder"
    return None


def _root(node):
    """The name an attribute chain starts from (``torch`` of ``torch.nn.Linear``), else None."""
    depth = 0
    while isinstance(node, ast.Attribute):
        node, depth = node.value, depth + 1
    return (node.id, depth) if isinstance(node, ast.Name) else (None, depth)


class _Scan:
    def __init__(self, tree):
        self.found = []
        self.modules = {}    # local name -> module it stands for ("np" -> "numpy", "osp" -> "os.path")
        self.called = set()  # ids of the expressions that are called: x.copy() is not x.copy
        self.chained = set()  # ids of the expressions whose attributes are taken
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                self.called.add(id(node.func))
                if isinstance(node.func, ast.Name) and node.func.id in REFLECTION and node.args:
                    self.chained.add(id(node.args[0]))
            elif isinstance(node, ast.Attribute):
                self.chained.add(id(node.value))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self.modules[alias.asname or alias.name.split(".")[0]] = \
                        alias.name if alias.asname else alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    self.modules.setdefault(alias.asname or alias.name, f"{node.module}.{alias.name}")

    def dotted(self, node):
        """``torch.nn.init`` of an attribute chain from an imported module, else None."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in self.modules:
            return None
        return ".".join([self.modules[node.id], *reversed(parts)])

    def add(self, node, what):
        self.found.append((getattr(node, "lineno", 1), what))

    def walk(self, tree):
        stack = [tree]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Expr) and isinstance(getattr(node.value, "value", None), str):
                continue  # a docstring or a bare string says nothing
            visit = getattr(self, f"visit_{type(node).__name__}", None)
            if visit is not None:
                visit(node)
            stack.extend(ast.iter_child_nodes(node))

    def visit_Import(self, node):
        for alias in node.names:
            top = alias.name.split(".")[0]
            if top not in ALLOWED_IMPORTS:
                self.add(node, f"import {alias.name}: {_why(top)}")

    def visit_ImportFrom(self, node):
        if node.level:
            return  # a relative import stays inside the course's own package
        module = node.module or ""
        top = module.split(".")[0]
        if top not in ALLOWED_IMPORTS:
            self.add(node, f"from {module} import ...: {_why(top)}")
            return
        for alias in node.names:
            if alias.name == "*" and module in MODULE_PARTS:
                self.add(node, f"from {module} import *")
            elif module in MODULE_PARTS and alias.name not in MODULE_PARTS[module]:
                self.add(node, f"from {module} import {alias.name}")
            elif alias.name in THROUGH_ATTRIBUTES and (top not in COURSE_MODULES or alias.name in MODULE_PARTS):
                self.add(node, f"from {module} import {alias.name}: the {alias.name} module through another one")
            elif alias.name in BANNED_ATTRIBUTES or (alias.name.startswith("_") and top not in COURSE_MODULES):
                self.add(node, f"from {module} import {alias.name}")

    def attribute(self, node, obj, name, store=False, via=""):
        """Checks of ``obj.name`` (an attribute, or, ``via`` getattr, ... with a constant name)."""
        if via:
            found = len(self.found)
            self.attribute(node, obj, name, store)
            self.found[found:] = [(line, f"{via}(..., {name!r}): {what}") for line, what in self.found[found:]]
            return
        if _dunder(name):
            if store or name not in ALLOWED_DUNDER_ATTRIBUTES:
                self.add(node, f".{name}{' assigned' if store else ''}: a dunder attribute")
            return
        root, depth = _root(obj)
        module = self.modules.get(root, root if root in MODULE_PARTS else None) if root is not None else None
        if module is not None and depth == 0 and module in MODULE_PARTS and name not in MODULE_PARTS[module]:
            self.add(node, f"{module}.{name}")
        elif name in THROUGH_ATTRIBUTES and id(node) not in self.called and not store:
            self.add(node, f".{name}: the {name} module through another one")
        elif name in BANNED_ATTRIBUTES and not store:
            self.add(node, f".{name}")
        elif name in FRAME_ATTRIBUTES:
            self.add(node, f".{name}: frames, code or evaluated names")
        elif store and module is not None and module.split(".")[0] not in COURSE_MODULES:
            self.add(node, f"{root}.{name} assigned: replaces part of a library the checks use")
        elif module is not None and depth == 0 and name.startswith("_") and module.split(".")[0] not in COURSE_MODULES:
            self.add(node, f"{root}.{name}: a private part of {module}")
        elif name == "modules" and id(node) not in self.called and not store:
            self.add(node, ".modules: every loaded module (the tests and the grader's plugin among them)")

    def visit_Attribute(self, node):
        self.attribute(node, node.value, node.attr, store=not isinstance(node.ctx, ast.Load))

    def visit_Name(self, node):
        module = self.modules.get(node.id)
        if (module in MODULE_PARTS and isinstance(node.ctx, ast.Load) and id(node) not in self.chained
                and id(node) not in self.called):
            self.add(node, f"{node.id} used as a value (only {module}.<part> is read)")
        if node.id in FRAME_ATTRIBUTES:
            self.add(node, f"{node.id}: frames, code or evaluated names")
        if _dunder(node.id):
            allowed = ALLOWED_DUNDER_NAMES if isinstance(node.ctx, ast.Load) else ALLOWED_DUNDER_STORES
            if node.id not in allowed:
                self.add(node, node.id)
        elif node.id in REFLECTION | BANNED_CALLS and id(node) not in self.called:
            self.add(node, f"{node.id} used as a value")

    def visit_Call(self, node):
        self.loads(node)
        function = node.func
        if isinstance(function, ast.Name) and function.id in BANNED_CALLS:
            self.add(node, f"{function.id}()")
        elif isinstance(function, ast.Name) and function.id in REFLECTION:
            name = node.args[1] if len(node.args) > 1 else None
            if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                if not (function.id == "getattr" and id(node) not in self.chained
                        and self.dotted(node.args[0]) in COMPUTED_GETATTR_TARGETS):
                    self.add(node, f"{function.id}() with a computed name")
            else:
                self.attribute(node, node.args[0], name.value, store=function.id in ("setattr", "delattr"),
                               via=function.id)
        for keyword in node.keywords:
            value = getattr(keyword.value, "value", None)
            if (keyword.arg, value) in (("weights_only", False), ("allow_pickle", True)):
                self.add(node, f"{keyword.arg}={keyword.value.value}: a load that unpickles (runs code)")

    def visit_MatchClass(self, node):
        for name in node.kwd_attrs:  # case C(name=...) reads the attribute name
            self.attribute(node, node.cls, name, via="case")

    def visit_MatchAs(self, node):
        pass

    def annotation(self, node):
        """A string annotation is code for typing.get_type_hints: only names, dots and subscripts may be in it."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                parsed = ast.parse(node.value, mode="eval")
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                self.add(node, "a string annotation that is not a type")
                return
            allowed = (ast.Expression, ast.Name, ast.Attribute, ast.Subscript, ast.Tuple, ast.Load, ast.Constant,
                       ast.BinOp, ast.BitOr, ast.List)
            if not all(isinstance(part, allowed) for part in ast.walk(parsed)):
                self.add(node, "a string annotation holding code")

    def visit_arg(self, node):
        if node.annotation is not None:
            self.annotation(node.annotation)

    def visit_FunctionDef(self, node):
        if node.returns is not None:
            self.annotation(node.returns)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_AnnAssign(self, node):
        self.annotation(node.annotation)

    def loads(self, node):
        """A loader call that could unpickle: torch needs a literal weights_only=True; numpy no allow_pickle."""
        function = node.func
        name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
        if name not in LOADS:
            return
        keywords = {keyword.arg: keyword.value for keyword in node.keywords}
        if None in keywords:
            self.add(node, f"{name}(**...): a load whose options cannot be read (it may unpickle)")
            return
        dotted = (self.dotted(function) or "") if isinstance(function, ast.Attribute) else self.modules.get(name, "")
        weights_only = keywords.get("weights_only")
        if dotted.startswith("torch.") and not (isinstance(weights_only, ast.Constant) and weights_only.value is True):
            self.add(node, f"{dotted}() without weights_only=True: a load that unpickles (runs code)")
        pickle = keywords.get("allow_pickle")
        if pickle is not None and not (isinstance(pickle, ast.Constant) and pickle.value is False):
            self.add(node, f"{name}(allow_pickle=...): a load that unpickles (runs code)")

    def visit_Constant(self, node):
        if not isinstance(node.value, str):
            return
        what = _flag_string(node.value)
        if what:
            self.add(node, f"{what}: {node.value[:60]!r}")
        if FORMAT_REACH.search(node.value):
            self.add(node, "a format field that reaches into attributes: " + repr(node.value[:60]))
        if "\n" in node.value and CODE_IN_STRING.search(node.value):
            self.add(node, "Python code in a string")


def read_source(data):
    """(text or None, [(line, what)]): ``data`` decoded as Python's import decodes it, and what to flag."""
    flags = []
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        return None, [(1, f"cannot be read as Python source ({str(error.msg)[:80]})")]
    if encoding not in ("utf-8", "utf-8-sig"):
        lines = data.splitlines()[:2]
        line = next((number for number, text in enumerate(lines, 1) if _CODING.match(text)), 1)
        flags.append((line, f"source encoding {encoding}: only UTF-8 is expected"))
    try:
        return importlib.util.decode_source(data), flags
    except (UnicodeError, LookupError, SyntaxError) as error:
        return None, flags + [(1, f"does not decode as {encoding} ({type(error).__name__})")]


def scan_source(text):
    """[(line, what)] of one file's source text."""
    try:
        tree = ast.parse(text)
    except SyntaxError as error:
        return [(error.lineno or 1, f"does not parse ({str(error.msg)[:80]})")]
    except ValueError as error:
        return [(1, f"does not parse ({str(error)[:80]})")]
    except (RecursionError, MemoryError):
        return [(1, "too deeply nested to parse; read it")]
    scan = _Scan(tree)
    try:
        scan.walk(tree)
    except (RecursionError, MemoryError):
        scan.found.append((1, "too deeply nested to scan; read it"))
    return sorted(set(scan.found))


def scan_bytes(data):
    text, flags = read_source(data)
    if text is not None:
        flags += scan_source(text)
    return sorted(set(flags))


def scan_files(files):
    """["file:line what", ...] for {student file: bytes}; a file that cannot be scanned is itself a flag."""
    flags = []
    for file, data in sorted(files.items()):
        try:
            found = scan_bytes(data)
        except Exception as error:  # noqa: BLE001 - what the scan cannot read is what a reviewer must
            found = [(1, f"could not be scanned ({type(error).__name__}); read it")]
        flags += [f"{file}:{line} {what}" for line, what in found]
    return flags
