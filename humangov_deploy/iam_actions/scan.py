"""Finding the AWS operations the library's source makes (ast), and the actions they and Terraform need."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from humangov_deploy.iam_actions.catalog import (
    IMPLIED,
    LOCAL_CLIENT_METHODS,
    S3_TRANSFER,
    TERRAFORM_ALWAYS,
    TERRAFORM_FORCE_DESTROY,
    TERRAFORM_RESOURCE_ACTIONS,
    _operations,
    _waiters,
    boto3_services,
    iam_actions,
)
from humangov_deploy.iam_actions.paths import BOOTSTRAP_DIR, PACKAGE_DIR, REPO_ROOT, TERRAFORM_DIR


@dataclass(frozen=True)
class CallSite:
    path: str
    line: int
    service: str
    method: str


@dataclass
class Derivation:
    sites: list[CallSite] = field(default_factory=list)
    actions: dict[str, list[CallSite]] = field(default_factory=dict)
    unresolved: list[CallSite] = field(default_factory=list)


def _last_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _const_str(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: str) -> None:
        self.path = path
        self.sites: list[CallSite] = []
        self.clients_names: set[str] = set()  # parameters annotated AwsClients
        self.aliases: dict[str, str] = {}  # unparsed expression -> service

    # -- what is an AwsClients expression, what is a service client ----------------------------
    def _is_clients(self, node: ast.expr) -> bool:
        name = _last_name(node)
        if name is None:
            return False
        return name.lower().lstrip("_").endswith("clients") or ast.unparse(node) in self.clients_names

    def service_of(self, node: ast.expr) -> str | None:
        """The boto3 service a client expression stands for, or None."""
        if isinstance(node, ast.Attribute) and node.attr in boto3_services() and self._is_clients(node.value):
            return node.attr
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "client"
            and self._is_clients(node.func.value)
            and node.args
        ):
            svc = _const_str(node.args[0])
            return svc if svc in boto3_services() else None
        if isinstance(node, ast.Name | ast.Attribute):
            text = ast.unparse(node)
            if text in self.aliases:
                return self.aliases[text]
        return None

    def bare_service(self, node: ast.expr) -> str | None:
        """A plain name spelled like a boto3 service (`ecs`); weaker evidence than `service_of`."""
        if isinstance(node, ast.Name) and node.id in boto3_services():
            return node.id
        return None

    # -- visitors ----------------------------------------------------------------------------------
    def visit_arg(self, node: ast.arg) -> None:
        if node.annotation is not None and "AwsClients" in ast.unparse(node.annotation):
            self.clients_names.add(node.arg)

    def visit_Assign(self, node: ast.Assign) -> None:
        svc = self.service_of(node.value)
        if svc is not None:
            for target in node.targets:
                if isinstance(target, ast.Name | ast.Attribute):
                    self.aliases[ast.unparse(target)] = svc
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            svc = self.service_of(node.value)
            if svc is not None and isinstance(node.target, ast.Name | ast.Attribute):
                self.aliases[ast.unparse(node.target)] = svc
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in {"get_paginator", "get_waiter",
                                                             "generate_presigned_url"}:  # fmt: skip
            svc = self.service_of(func.value) or self.bare_service(func.value)
            if svc is not None:
                arg = node.args[0] if node.args else None
                for kw in node.keywords:
                    if kw.arg in {"operation_name", "waiter_name", "ClientMethod"}:
                        arg = kw.value
                name = _const_str(arg)
                self.sites.append(CallSite(self.path, node.lineno, svc, f"{func.attr}:{name}"))
                # Do not visit func again as a plain attribute reference.
                for child in [*node.args, *(kw.value for kw in node.keywords)]:
                    self.visit(child)
                self.visit(func.value)
                return
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr not in LOCAL_CLIENT_METHODS and not node.attr.startswith("_"):
            svc = self.service_of(node.value)
            if svc is not None:
                self.sites.append(CallSite(self.path, node.lineno, svc, node.attr))
            else:
                # `logs.append(...)` on a list named logs is no AWS call: a bare name counts only
                # when the attribute really is an operation (or helper) of that service.
                svc = self.bare_service(node.value)
                site = CallSite(self.path, node.lineno, svc, node.attr) if svc else None
                if site is not None and operations_of(site) is not None:
                    self.sites.append(site)
        self.generic_visit(node)


def operations_of(site: CallSite) -> list[str] | None:
    """API operation names a call site needs, or None if the method is not understood."""
    ops = _operations(site.service)
    if ":" in site.method:
        kind, _, name = site.method.partition(":")
        if name in ("", "None"):
            return None
        if kind == "get_waiter":
            waiter = _waiters(site.service).get(name)
            return [waiter] if waiter else None
        return [ops[name]] if name in ops else None
    if site.method in ops:
        return [ops[site.method]]
    if site.service == "s3" and site.method in S3_TRANSFER:
        return [ops[name] for name in S3_TRANSFER[site.method]]
    return None


def _python_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" not in path.parts:
            yield path


def scan_source(source: str, path: str = "<string>") -> list[CallSite]:
    """Every AWS client call site of one module (two passes so aliases defined later still count)."""
    tree = ast.parse(source, filename=path)
    scanner = _Scanner(path)
    scanner.visit(tree)
    aliases, names = scanner.aliases, scanner.clients_names
    scanner = _Scanner(path)
    scanner.aliases, scanner.clients_names = aliases, names
    scanner.visit(tree)
    return scanner.sites


# App modules the library runs itself (humangov_deploy/users.py loads them by path), and every sibling they
# import: their calls are the library's too. They take a client named like its service (`dynamodb`),
# which the scanner follows.
APP_MODULES_RUN_BY_LIBRARY = ("accounts.py", "audit.py")
APP_PACKAGE_DIR = REPO_ROOT / "containers" / "app" / "humangov"


def app_modules_run_by_library(app: Path = APP_PACKAGE_DIR) -> list[Path]:
    """The entry modules and, transitively, the siblings they import (`from . import x`, `from .x import`)."""
    todo, seen = [app / name for name in APP_MODULES_RUN_BY_LIBRARY], set()
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                names = [node.module] if node.module else [alias.name for alias in node.names]
                todo += [app / f"{name}.py" for name in names if name]
    return sorted(seen)


def library_files() -> list[Path]:
    return [*_python_files(PACKAGE_DIR), *app_modules_run_by_library()]


def derive(files: Iterable[Path] | None = None) -> Derivation:
    """Scan the library (or the given files) and map each call site to IAM actions."""
    result = Derivation()
    for path in files if files is not None else library_files():
        if Path(__file__).resolve().parent in path.resolve().parents:  # this package names operations as data
            continue
        rel = str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)
        for site in scan_source(path.read_text(encoding="utf-8"), rel):
            result.sites.append(site)
            operations = operations_of(site)
            if operations is None:
                result.unresolved.append(site)
                continue
            for op in operations:
                for action in iam_actions(site.service, op):
                    result.actions.setdefault(action, []).append(site)
    return result


def with_implied(actions: Iterable[str]) -> set[str]:
    out = set(actions)
    for action in list(out):
        out.update(IMPLIED.get(action, ()))
    return out


def library_actions() -> set[str]:
    """What the deploy library needs: its own calls plus what AWS checks alongside them."""
    return with_implied(derive().actions)


def terraform_resource_types(root: Path = TERRAFORM_DIR) -> set[str]:
    """Resource types declared in terraform/ (the bootstrap root module is not applied by the job)."""
    types: set[str] = set()
    for path in sorted(root.rglob("*.tf")):
        if BOOTSTRAP_DIR in path.parents or ".terraform" in path.parts:
            continue
        types.update(re.findall(r'^\s*resource\s+"([a-z0-9_]+)"', path.read_text(encoding="utf-8"), re.M))
    return types


def terraform_actions(types: Iterable[str] | None = None) -> tuple[set[str], set[str]]:
    """(actions Terraform's AWS provider needs for those resource types, types this table does not know)."""
    types = terraform_resource_types() if types is None else set(types)
    actions: set[str] = set(TERRAFORM_ALWAYS)
    unknown: set[str] = set()
    for rtype in types:
        if not rtype.startswith("aws_"):
            continue  # random_*, null_*, ... call no AWS API
        if rtype not in TERRAFORM_RESOURCE_ACTIONS:
            unknown.add(rtype)
            continue
        actions.update(TERRAFORM_RESOURCE_ACTIONS[rtype])
    if "aws_s3_bucket" in types:
        actions.update(TERRAFORM_FORCE_DESTROY)
    return actions, unknown
