"""Flags for review: code in a student file that reaches for the grader rather than the assignment.

A static scan (Python's ``ast``) of each student file. The course's own code (templates and
solutions) raises none of these; each flag names the file, the line and what was found. A flag
does not change the points: an instructor reads the code and decides. The sandbox contains what
such code can do outside the test process; inside it, the code can still patch the process it
runs in, which is why it is flagged.
"""

from __future__ import annotations

import ast

MODULES = {  # importing any of these (or a submodule) is flagged
    "ctypes": "ctypes (raw memory and C calls)", "gc": "gc (reaches other objects of the process)",
    "socket": "sockets", "ssl": "sockets", "http": "network", "urllib": "network", "requests": "network",
    "subprocess": "subprocesses", "multiprocessing": "subprocesses", "pty": "subprocesses",
    "signal": "signals", "resource": "resource limits", "mmap": "mmap",
    "_pytest": "pytest internals", "pytest": "pytest internals", "pluggy": "pytest internals",
    "importlib": "importlib", "builtins": "builtins", "inspect": "inspect (frames of the tests)",
    "threading": "threads", "_thread": "threads", "atexit": "atexit hooks", "faulthandler": "faulthandler",
    "conftest": "the tests' conftest", "progress_report": "the grader's report",
    "grading_plugin": "the grader's plugin",
}
ATTRIBUTES = {  # module.attribute
    "os": {"_exit", "system", "fork", "forkpty", "kill", "killpg", "setsid", "setpgid", "popen", "write", "open",
           "dup", "dup2", "pipe", "mkfifo", "mknod", "symlink", "link", "chmod", "chown", "environ", "getenv",
           "putenv", "getppid", "execv", "execve", "execl", "execlp", "execvp", "execvpe", "spawnv", "spawnl",
           "posix_spawn", "posix_spawnp", "fdopen", "openpty", "sched_setaffinity", "nice"},
    "sys": {"argv", "modules", "_getframe", "settrace", "setprofile", "meta_path", "path_hooks", "prefix",
            "exec_prefix", "base_prefix", "executable", "orig_argv", "excepthook", "addaudithook", "_current_frames"},
}
DUNDERS = {"__builtins__", "__import__", "__subclasses__", "__globals__", "__code__", "__closure__", "f_back",
           "f_globals", "f_locals", "gi_frame", "tb_frame", "__loader__", "__spec__", "__dict__", "__defaults__",
           "__kwdefaults__"}
CALLS = {"eval": "eval", "exec": "exec", "compile": "compile", "__import__": "__import__",
         "globals": "globals()", "vars": "vars()", "breakpoint": "breakpoint"}
STRINGS = ("/proc", "/dev/", "/sys/", "solutions", "grading_plugin", "progress_report", "conftest", "_pytest",
           "/etc/", "/root", "/home")


def _flag_string(text):
    if any(marker in text for marker in STRINGS):
        return "a path outside its folder" if text.startswith("/") else "a name of the grader"
    if text.startswith("/") and len(text) > 1 or text.startswith("~") or "../" in text or text == "..":
        return "a path outside its folder"
    return None


class _Scanner(ast.NodeVisitor):
    def __init__(self):
        self.found = []
        self.aliases = {}  # local name -> module it stands for ("os", "sys")
        self.called = set()  # ids of the expressions that are called: x.modules() is not x.modules

    def add(self, node, what):
        self.found.append((node.lineno, what))

    def visit_Import(self, node):
        for alias in node.names:
            top = alias.name.split(".")[0]
            if top in MODULES:
                self.add(node, f"import {alias.name}: {MODULES[top]}")
            self.aliases[alias.asname or top] = top if alias.asname is None else alias.name
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        top = (node.module or "").split(".")[0]
        if top in MODULES:
            self.add(node, f"from {node.module} import ...: {MODULES[top]}")
        for alias in node.names:
            if top in ATTRIBUTES and alias.name in ATTRIBUTES[top]:
                self.add(node, f"from {top} import {alias.name}")
            if alias.name == "sys" and top != "sys":
                self.add(node, f"from {node.module} import sys: the sys module through another one")
                self.aliases[alias.asname or "sys"] = "sys"
            if alias.name in MODULES:
                self.add(node, f"import of {alias.name}: {MODULES[alias.name]}")
        self.generic_visit(node)

    def visit_Attribute(self, node):
        if isinstance(node.value, ast.Name):
            module = self.aliases.get(node.value.id, node.value.id)
            if node.attr in ATTRIBUTES.get(module, ()):
                self.add(node, f"{module}.{node.attr}")
        if node.attr in DUNDERS:
            self.add(node, f".{node.attr}")
        if node.attr == "sys" and not (isinstance(node.value, ast.Name) and node.value.id == "sys"):
            self.add(node, ".sys: the sys module through another one")  # os.sys.modules, ...
        if node.attr == "modules" and id(node) not in self.called:
            self.add(node, ".modules: every loaded module (the tests and the grader's plugin among them)")
        self.generic_visit(node)

    def visit_Name(self, node):
        if node.id in DUNDERS:
            self.add(node, node.id)
        self.generic_visit(node)

    def visit_Call(self, node):
        self.called.add(id(node.func))  # model.modules() is a network's layers, not sys.modules
        if isinstance(node.func, ast.Name) and node.func.id in CALLS:
            self.add(node, CALLS[node.func.id])
        if isinstance(node.func, ast.Name) and node.func.id in ("getattr", "setattr", "delattr") and node.args:
            target = node.args[0]
            if isinstance(target, ast.Name) and self.aliases.get(target.id, target.id) in (*ATTRIBUTES, *MODULES):
                self.add(node, f"{node.func.id}() on the module {target.id}")
            if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
                name = node.args[1].value
                if name in DUNDERS or any(name in names for names in ATTRIBUTES.values()):
                    self.add(node, f"{node.func.id}(..., {name!r})")
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, str) and "\n" not in node.value:
            what = _flag_string(node.value)
            if what:
                self.add(node, f"{what}: {node.value[:60]!r}")
        self.generic_visit(node)

    def visit_Expr(self, node):
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return  # a docstring or a bare string says nothing
        self.generic_visit(node)


def scan_source(text):
    """[(line, what)] of one file's source; a file that does not parse gives nothing (it cannot run)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    scanner = _Scanner()
    scanner.visit(tree)
    return sorted(set(scanner.found))


def scan_files(files):
    """["file:line what", ...] for {student file: bytes}."""
    flags = []
    for file, data in sorted(files.items()):
        for line, what in scan_source(data.decode(errors="replace")):
            flags.append(f"{file}:{line} {what}")
    return flags
