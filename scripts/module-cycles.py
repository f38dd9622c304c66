#!/usr/bin/env python3
"""Module cycles in the gateway and the subgraphs: exits 1 when two modules use each other.

Reads the item graph `cargo modules dependencies` prints (cargo-modules, installed when
missing), folds each item into the module that defines it, and looks for cycles between
modules, leaving out a module's uses of its own ancestors and descendants (a `mod.rs` and the
files under it are one unit).

    python3 scripts/module-cycles.py [package ...]   # default: the gateway and every subgraph
"""

import re
import subprocess
import sys

PACKAGES = ["braid-gateway", "braid-kit", "braid-access", "braid-catalog", "braid-documents",
            "braid-permissions", "braid-orders"]
NODE = re.compile(r'^\s*"([^"]+)" \[label="([^|"]*)\|')
EDGE = re.compile(r'^\s*"([^"]+)" -> "([^"]+)" \[label="uses"')


def graph(package):
    dot = subprocess.run(
        ["cargo", "modules", "dependencies", "-p", package, "--lib", "--no-externs", "--no-sysroot", "--no-owns"],
        check=True, capture_output=True, text=True).stdout
    modules, edges = set(), []
    for line in dot.splitlines():
        if m := NODE.match(line):
            if m[2].split()[-1] in ("mod", "crate"):
                modules.add(m[1])
        elif m := EDGE.match(line):
            edges.append((m[1], m[2]))
    return modules, edges


def module_of(path, modules):
    while path not in modules and "::" in path:
        path = path.rsplit("::", 1)[0]
    return path


def related(a, b):
    return a == b or a.startswith(b + "::") or b.startswith(a + "::")


def cycles(nodes, uses):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in uses.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return found


def main():
    packages = sys.argv[1:] or PACKAGES
    if subprocess.run(["cargo", "modules", "--version"], capture_output=True).returncode != 0:
        subprocess.run(["cargo", "install", "--locked", "cargo-modules@0.27.0"], check=True)
    bad = 0
    for package in packages:
        modules, edges = graph(package)
        uses, why = {}, {}
        for source, target in edges:
            a, b = module_of(source, modules), module_of(target, modules)
            if not related(a, b):
                uses.setdefault(a, set()).add(b)
                why.setdefault((a, b), (source, target))
        found = cycles(modules, uses)
        for component in found:
            members = set(component)
            print(f"{package}: modules that use each other: {', '.join(component)}")
            for a in component:
                for b in sorted(uses.get(a, ()) & members):
                    print(f"    {a} -> {b}   ({why[(a, b)][0]} uses {why[(a, b)][1]})")
        print(f"{package}: {len(modules)} modules, {'no cycle' if not found else f'{len(found)} cycle(s)'}")
        bad += len(found)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
