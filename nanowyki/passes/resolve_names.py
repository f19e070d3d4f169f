"""Surface -> Resolved: say what every name refers to and give every local a unique name.

Establishes: every `Name` is a `Local`, `ConstRef` or `SharedRef`; every `Call` a `CallFn` or a
`CallBuiltin` with the right number of arguments; every `MethodCall` a `TableCall` of a known
method; every `NamedType` names a struct; every struct value lists each field once, in
declaration order; no `let`, `const` or parameter is assigned (rule 16). Within a function or
handler, no two locals share a name: a local declared again in a sibling block is renamed `x.N`,
so later passes need no scopes.

Assumes: a parsed program (`Surface`). Service-level names (constants, structs, tables, shared
variables, functions) live in one namespace, are distinct and do not redefine a builtin; a local
may not redeclare a visible local or a service-level name (rule 2). A local may take a builtin's
name (`let min = 3;`): a call always names a function or a builtin, never a local.

    (If c (Block [(Let x nil (IntLit 1) nil)]) (Block [(Let x nil (Name y) nil)]))
 => (If c (Block [(Let x nil (IntLit 1) nil)]) (Block [(Let x.1 nil (Local y) nil)]))
"""

from __future__ import annotations

from typing import Any

from pyrsistent import PMap, pmap

import nanowyki.languages.surface as S
from nanowyki.analysis.names import (
    Global,
    LocalInfo,
    arity_problem,
    at,
    name_span,
    rebuild,
    same_tuple,
    suggest,
)
from nanowyki.builtins import BUILTINS, TABLE_METHODS
from nanowyki.framework import CompileError, Diagnostic, Node, Transform
from nanowyki.languages.resolved import (
    CallBuiltin,
    CallFn,
    ConstRef,
    Local,
    Resolved,
    SharedRef,
    TableCall,
)

Env = PMap[str, LocalInfo]
_VALUE_KINDS = ("constant", "shared variable")
_KINDS: dict[type, str] = {
    S.Const: "constant", S.Struct: "struct", S.Table: "table", S.Shared: "shared variable",
    S.Fn: "function",
}  # fmt: skip


class ResolveNames(Transform):
    """Surface -> Resolved: say what every name refers to and give every local a unique name."""

    name = "resolve-names"
    input = S.Surface
    output = Resolved

    def transform(self, tree: Node) -> Node:
        self.diags: list[Diagnostic] = []
        self.globals: dict[str, Global] = {}
        self.taken: set[str] = set()  # local names used in the current function or handler
        out = self.visit(tree, pmap())
        if self.diags:
            raise CompileError(self.diags)
        return out  # type: ignore[no-any-return]

    def error(self, n: Node, message: str, hint: str | None = None) -> None:
        self.diags.append(Diagnostic(n.span, message, hint))

    # -- declarations ------------------------------------------------------------------------

    def Service(self, s: S.Service, env: Env) -> Node:
        for d in s.decls:
            kind = _KINDS.get(type(d))
            name: str = getattr(d, "name", "")
            if kind is None:
                continue
            if name in BUILTINS:
                self.error(d, f"'{name}' is a builtin and cannot be redefined")
            elif name in self.globals:
                self.error(d, f"'{name}' is already defined{at(self.globals[name].span)}")
            else:
                self.globals[name] = Global(kind, d, d.span)
        return self.visit_children(s, env)

    def Struct(self, s: S.Struct, env: Env) -> Node:
        seen: dict[str, Node] = {}
        for f in s.fields:
            if f.name in seen:
                self.error(f, f"field '{f.name}' is already defined{at(seen[f.name].span)}")
            seen.setdefault(f.name, f)
        return self.visit_children(s, env)

    def Fn(self, f: S.Fn, env: Env) -> Node:
        self.taken = set()
        params = []
        for p in f.params:
            params.append(self.visit(p, env))
            env = env.set(p.name, self.declare(p.name, "parameter", p, env))
        result = None if f.result is None else self.visit(f.result, pmap())
        return rebuild(
            f, params=same_tuple(f.params, params), result=result, body=self.visit(f.body, env)
        )

    def Session(self, s: S.Session, env: Env) -> Node:
        self.taken = set()
        return self.visit_children(s, env)

    def Every(self, s: Node, env: Env) -> Node:
        self.taken = set()
        return self.visit_children(s, env)

    def Datagram(self, d: S.Datagram, env: Env) -> Node:
        self.taken = set()
        declared = self.visit(d.declared, env)
        inner = env.set(d.name, self.declare(d.name, "datagram packet", d, env))
        return rebuild(d, declared=declared, body=self.visit(d.body, inner))

    # -- scopes ------------------------------------------------------------------------------

    def declare(self, name: str, kind: str, n: Node, env: Env) -> LocalInfo:
        """Check that local `name` may be declared here; its unique name."""
        if name in env:
            self.error(n, f"'{name}' is already defined{at(env[name].span)}")
        elif name in self.globals:
            self.error(n, f"'{name}' is already defined{at(self.globals[name].span)}")
        unique = self.fresh(name) if name in self.taken else name
        self.taken.update((name, unique))
        return LocalInfo(unique, kind, n.span)

    def Block(self, b: S.Block, env: Env) -> Node:
        stmts = []
        for s in b.stmts:
            if isinstance(s, (S.Let, S.Var)):
                value = self.visit(s.value, env)
                declared = None if s.declared is None else self.visit(s.declared, env)
                changes: dict[str, Any] = {"value": value, "declared": declared}
                if isinstance(s, S.Let):
                    changes["else_"] = None if s.else_ is None else self.visit(s.else_, env)
                if s.name != "_":
                    kind = "let binding" if isinstance(s, S.Let) else "var"
                    info = self.declare(s.name, kind, s, env)
                    env = env.set(s.name, info)
                    changes["name"] = info.unique
                stmts.append(rebuild(s, **changes))
            else:
                stmts.append(self.visit(s, env))
        return rebuild(b, stmts=same_tuple(b.stmts, stmts))

    def For(self, s: S.For, env: Env) -> Node:
        start, stop = self.visit(s.start, env), self.visit(s.stop, env)
        info = self.declare(s.var, "loop variable", s, env)
        body = self.visit(s.body, env.set(s.var, info))
        return rebuild(s, var=info.unique, start=start, stop=stop, body=body)

    def Assign(self, s: S.Assign, env: Env) -> Node:
        root = s.target
        while isinstance(root, (S.Field, S.Index)):
            root = root.target
        if not isinstance(root, S.Name):
            self.error(s.target, "cannot assign to this expression: assign to a variable")
        elif root.name in env and env[root.name].kind != "var":
            info = env[root.name]
            self.error(
                root, f"cannot assign to '{root.name}': it is a {info.kind}"
                f" (declared{at(info.span)})",
                "declare it with 'var' to change it" if info.kind == "let binding" else None,
            )
        elif root.name not in env and root.name in self.globals:
            g = self.globals[root.name]
            if g.kind == "constant":
                self.error(
                    root, f"cannot assign to '{root.name}': it is a constant"
                    f" (declared{at(g.span)})",
                )
        return self.visit_children(s, env)

    # -- expressions -------------------------------------------------------------------------

    def Name(self, n: S.Name, env: Env) -> Node:
        if n.name in env:
            return Local(env[n.name].unique)
        g = self.globals.get(n.name)
        if g is not None and g.kind == "constant":
            return ConstRef(n.name)
        if g is not None and g.kind == "shared variable":
            return SharedRef(n.name)
        if g is not None and g.kind == "table":
            self.error(
                n, f"table '{n.name}' can only be used through its methods",
                f"use a method: {n.name}.get(k), {n.name}.put(k, v), {n.name}.contains(k), "
                f"{n.name}.remove(k), {n.name}.clear(), {n.name}.size()",
            )  # fmt: skip
        elif g is not None:
            what = "is a type, not a value" if g.kind == "struct" else "can only be called"
            self.error(n, f"{g.kind} '{n.name}' {what}")
        elif n.name in BUILTINS:
            self.error(n, f"builtin '{n.name}' can only be called")
        else:
            values = [k for k, g in self.globals.items() if g.kind in _VALUE_KINDS]
            self.error(n, f"unknown name '{n.name}'", suggest(n.name, [*env.keys(), *values]))
        return Local(n.name)

    def Call(self, c: S.Call, env: Env) -> Node:
        args = tuple(self.visit(a, env) for a in c.args)
        g = self.globals.get(c.func)
        if g is not None and isinstance(g.decl, S.Fn):
            self.arity(c, f"'{c.func}'", len(g.decl.params), len(g.decl.params))
            return CallFn(c.func, args)
        if c.func in BUILTINS and g is None:  # a local named like a builtin does not hide it
            b = BUILTINS[c.func]
            self.arity(c, f"'{c.func}'", b.min_args, b.max_args)
            return CallBuiltin(c.func, args)
        at_name = name_span(c, c.func)
        if g is not None and g.kind == "struct":
            message = f"struct '{c.func}' is built by naming its fields: {c.func}(f: ...)"
            self.diags.append(Diagnostic(at_name, message))
        elif g is not None or c.func in env:
            self.diags.append(Diagnostic(at_name, f"'{c.func}' is not a function"))
        else:
            fns = [k for k, v in self.globals.items() if v.kind == "function"]
            hint = suggest(c.func, [*fns, *BUILTINS])
            self.diags.append(Diagnostic(at_name, f"unknown name '{c.func}'", hint))
        return CallFn(c.func, args)

    def MethodCall(self, m: S.MethodCall, env: Env) -> Node:
        args = tuple(self.visit(a, env) for a in m.args)
        g = self.globals.get(m.target)
        if g is not None and g.kind == "table" and m.target not in env:
            limits = TABLE_METHODS.get(m.method)
            if limits is None:
                self.error(
                    m, f"unknown method '{m.method}' of table '{m.target}'",
                    suggest(m.method, TABLE_METHODS),
                )
            else:
                self.arity(m, f"'{m.target}.{m.method}'", *limits)
        elif g is None and m.target not in env:
            tables = [k for k, v in self.globals.items() if v.kind == "table"]
            self.error(m, f"unknown name '{m.target}'", suggest(m.target, tables))
        else:
            self.error(m, f"'{m.target}' is not a table: only tables have methods")
        return TableCall(m.target, m.method, args)

    def arity(self, n: S.Call | S.MethodCall, what: str, lo: int, hi: int | None) -> None:
        problem = arity_problem(what, lo, hi, len(n.args))
        if problem:
            self.error(n, problem)

    def StructValue(self, v: S.StructValue, env: Env) -> Node:
        g = self.globals.get(v.name)
        fields = tuple(self.visit(f, env) for f in v.fields)
        if g is None or not isinstance(g.decl, S.Struct):
            structs = [k for k, x in self.globals.items() if x.kind == "struct"]
            message = f"'{v.name}' is not a struct" if g else f"unknown struct '{v.name}'"
            self.error(v, message, None if g else suggest(v.name, structs))
            return rebuild(v, fields=fields)
        declared = [f.name for f in g.decl.fields]
        given: dict[str, S.FieldInit] = {}
        for f in fields:
            if f.name in given:
                self.error(f, f"field '{f.name}' is given twice")
            elif f.name not in declared:
                self.error(
                    f, f"struct '{v.name}' has no field '{f.name}'", suggest(f.name, declared)
                )
            else:
                given[f.name] = f
        missing = [name for name in declared if name not in given]
        if missing:
            names = ", ".join(f"'{name}'" for name in missing)
            plural = "s" if len(missing) > 1 else ""
            self.error(v, f"struct value '{v.name}' is missing field{plural} {names}")
        ordered = [given[name] for name in declared if name in given]
        return rebuild(v, fields=same_tuple(v.fields, ordered))

    def NamedType(self, t: S.NamedType, env: Env) -> Node:
        g = self.globals.get(t.name)
        if g is None:
            structs = [k for k, x in self.globals.items() if x.kind == "struct"]
            self.error(t, f"unknown type '{t.name}'", suggest(t.name, structs))
        elif g.kind != "struct":
            self.error(t, f"'{t.name}' is a {g.kind}, not a type")
        return t
