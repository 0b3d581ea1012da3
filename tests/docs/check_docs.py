#!/usr/bin/env python3
"""Compiles every C++ block of README.md and docs/*.md, and runs the whole programs among them.

Run by CTest as DocsCodeBlocks (tests/docs/README.md gives the conventions in full):

  check_docs.py --root SRC --scratch DIR --cxx CXX [--cxxflag F]... [--lib L]...
                [--mpi-cxxflag F]... [--mpi-lib L]... [--mpirun CMD]... [--jobs N]

A ```cpp (or ```c++) block is one of:
  * a program: it defines `int main(`. It is compiled as written, alone in its translation unit
    (nothing is added, so a missing #include fails), linked with mpp, and run in an empty
    directory; it must exit with 0.
  * a fragment: anything else. All fragments share one translation unit that includes
    <mpp/mpp.hpp> and the standard headers; each is placed in a function of its own namespace.
    Fragments are checked with -fsyntax-only.
An HTML comment just before the fence, `<!-- doc-test: ... -->`, may say more (several may stack):
  skip: REASON          not compiled (a reason is required)
  compile-only: REASON  a program compiled and linked, not run
  file NAME             the comment's further lines are written to NAME beside the running program
  context               the comment's further lines are C++ the block needs (declarations); a line
                        `@block` there places the block itself; without it the context comes first
  each-line             a fragment whose every line stands alone (alternative forms of one thing)
A block that includes <mpp/mpi.hpp> is compiled with MPI's flags, and only where MPI was found; a
program of it runs under MPIRUN on 2 ranks. Compiler messages name the Markdown file and line.
A fence of another language that holds `#include` or `int main(` is an error: tag it cpp.
"""

import argparse
import concurrent.futures
import pathlib
import re
import shutil
import subprocess
import sys

CPP_TAGS = {"cpp", "c++", "cxx"}
FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([^\s`]*)")
MARKER_START = re.compile(r"^\s*<!--\s*doc-test:\s*(.*)$")
MAIN = re.compile(r"\bint\s+main\s*\(")
MPI_INCLUDE = re.compile(r"#\s*include\s*<mpp/mpi\.hpp>")
INCLUDE = re.compile(r"^\s*#\s*include\b")
RUN_TIMEOUT_S = 60

# What a fragment may use without an #include: the umbrella header and the standard library.
FRAGMENT_HEADERS = """#include <mpp/mpp.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <ranges>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>
"""


class DocError(Exception):
    pass


class Block:
    def __init__(self, path, line, code, markers):
        self.path = path  # relative to the root, as messages show it
        self.line = line  # the block's first line of code, 1-based
        self.code = code
        self.skip = None
        self.compile_only = None
        self.files = {}
        self.context = None
        self.context_line = None
        self.each_line = False
        for marker_line, header, body in markers:
            self._apply(marker_line, header, body)
        self.program = bool(MAIN.search(code))
        self.mpi = bool(MPI_INCLUDE.search(code) or (self.context and MPI_INCLUDE.search(self.context)))
        if self.each_line and self.program:
            raise DocError(f"{self.where}: each-line is for fragments, and this block has main()")

    @property
    def where(self):
        return f"{self.path}:{self.line}"

    def _apply(self, marker_line, header, body):
        where = f"{self.path}:{marker_line}"
        kind, _, rest = header.partition(":") if ":" in header.split(" ")[0] else header.partition(" ")
        kind, rest = kind.strip(), rest.strip()
        if kind == "skip":
            if not rest:
                raise DocError(f"{where}: 'doc-test: skip' needs a reason")
            self.skip = rest
        elif kind == "compile-only":
            if not rest:
                raise DocError(f"{where}: 'doc-test: compile-only' needs a reason")
            self.compile_only = rest
        elif kind == "file":
            if not rest or "/" in rest:
                raise DocError(f"{where}: 'doc-test: file' needs a plain file name")
            self.files[rest] = body
        elif kind == "context":
            if self.context is not None:
                raise DocError(f"{where}: a second 'doc-test: context' for one block")
            self.context = body
            self.context_line = marker_line + 1
        elif kind == "each-line":
            self.each_line = True
        else:
            raise DocError(f"{where}: unknown 'doc-test: {kind}' (skip, compile-only, file, context, each-line)")


def parse(path, rel):
    """The C++ blocks of one Markdown file, with the markers before each."""
    lines = path.read_text(encoding="utf-8").split("\n")
    blocks = []
    pending = []  # markers seen since the last block or text
    i = 0
    while i < len(lines):
        line = lines[i]
        start = MARKER_START.match(line)
        if start:
            marker_line = i + 1
            header = start.group(1)
            body = []
            if "-->" in header:
                header = header[: header.index("-->")]
            else:
                i += 1
                while i < len(lines) and "-->" not in lines[i]:
                    body.append(lines[i])
                    i += 1
                if i == len(lines):
                    raise DocError(f"{rel}:{marker_line}: 'doc-test' comment never closed with -->")
                if lines[i].strip() != "-->":
                    raise DocError(f"{rel}:{i + 1}: put a 'doc-test' comment's --> on a line of its own")
            pending.append((marker_line, header.strip(), "\n".join(body) + ("\n" if body else "")))
            i += 1
            continue
        fence = FENCE.match(line)
        if fence:
            indent, mark, tag = fence.groups()
            first = i + 1
            i += 1
            body = []
            while i < len(lines) and not lines[i].strip().startswith(mark):
                body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
                i += 1
            if i == len(lines):
                raise DocError(f"{rel}:{first}: code block never closed")
            code = "\n".join(body) + "\n"
            if tag.lower() in CPP_TAGS:
                blocks.append(Block(rel, first + 1, code, pending))
            else:
                if pending:
                    raise DocError(f"{rel}:{pending[0][0]}: 'doc-test' comment before a {tag or 'plain'} block")
                if re.search(r"^\s*#\s*include\s*<", code, re.M) or MAIN.search(code):
                    raise DocError(f"{rel}:{first}: a {tag or 'plain'} block holds C++: tag it ```cpp")
            pending = []
            i += 1
            continue
        if line.strip():
            if pending:
                raise DocError(f"{rel}:{pending[0][0]}: a 'doc-test' comment must come just before a ```cpp block")
        i += 1
    if pending:
        raise DocError(f"{rel}:{pending[0][0]}: a 'doc-test' comment must come just before a ```cpp block")
    return blocks


def line_directive(line, path):
    return f'#line {line} "{path}"\n'


def program_source(block):
    """A program as written, its context (if any) where the marker says."""
    code = line_directive(block.line, block.path) + block.code
    if block.context is None:
        return code
    context = line_directive(block.context_line, block.path) + block.context
    if "@block" in block.context:
        return re.sub(r"^\s*@block\s*$", lambda _: code.rstrip("\n"), context, count=1, flags=re.M)
    return context + code


def fragment_source(blocks):
    """One translation unit for fragments: each in a function of its own namespace."""
    hoisted = []  # #include lines of contexts and fragments: not allowed inside a namespace
    parts = []

    def take_includes(text, first_line):
        kept = []
        for n, text_line in enumerate(text.split("\n")):
            if INCLUDE.match(text_line):
                hoisted.append(line_directive(first_line + n, block.path) + text_line + "\n")
                kept.append("")  # keep the line numbers
            else:
                kept.append(text_line)
        return "\n".join(kept)

    for n, block in enumerate(blocks):
        code = take_includes(block.code, block.line)
        if block.each_line:
            body = ""
            for k, text_line in enumerate(code.split("\n")):
                if text_line.strip():
                    body += line_directive(block.line + k, block.path) + "{ " + text_line + "\n}\n"
        else:
            body = line_directive(block.line, block.path) + code
        function = f"[[maybe_unused]] void doc_block() {{\n{body}\n}}\n"
        if block.context is None:
            inner = function
        else:
            context = take_includes(block.context, block.context_line)
            context = line_directive(block.context_line, block.path) + context
            if "@block" in block.context:
                placed = line_directive(block.line, block.path) + code
                inner = re.sub(r"^\s*@block\s*$", lambda _: placed.rstrip("\n"), context, count=1, flags=re.M)
            else:
                inner = context + "\n" + function
        parts.append(f"namespace doc_block_{n} {{  // {block.where}\n{inner}\n}}  // namespace doc_block_{n}\n")
    return FRAGMENT_HEADERS + "".join(hoisted) + '#line 1 "<doc-test wrapper>"\n' + "\n".join(parts)


def run(command, cwd=None, timeout=None):
    return subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout, check=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", required=True, type=pathlib.Path)
    parser.add_argument("--scratch", required=True, type=pathlib.Path)
    parser.add_argument("--cxx", required=True)
    parser.add_argument("--cxxflag", action="append", default=[])
    parser.add_argument("--lib", action="append", default=[])
    parser.add_argument("--mpi-cxxflag", action="append", default=[])
    parser.add_argument("--mpi-lib", action="append", default=[])
    parser.add_argument("--mpirun", action="append", default=[], help="the command before NP and the program")
    parser.add_argument("--with-mpi", action="store_true", help="mpp was built with MPI: MPI blocks are compiled")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--list", action="store_true", help="list the blocks and what is done with each")
    args = parser.parse_args()

    documents = [args.root / "README.md"] + sorted((args.root / "docs").glob("*.md"))
    try:
        blocks = [b for doc in documents if doc.exists() for b in parse(doc, doc.relative_to(args.root).as_posix())]
    except DocError as error:
        print(f"doc-test: {error}", file=sys.stderr)
        return 1

    shutil.rmtree(args.scratch, ignore_errors=True)
    args.scratch.mkdir(parents=True)
    flags = ["-std=c++20"] + args.cxxflag
    jobs = []  # (description, compile command, then what to run, or None)
    skipped = []
    fragments = {False: [], True: []}
    for n, block in enumerate(blocks):
        if block.skip:
            skipped.append(f"{block.where}: skipped: {block.skip}")
            continue
        if block.mpi and not args.with_mpi:
            skipped.append(f"{block.where}: not compiled: it uses <mpp/mpi.hpp> and mpp was built without MPI")
            continue
        if not block.program:
            fragments[block.mpi].append(block)
            continue
        source = args.scratch / f"program_{n}.cpp"
        source.write_text(program_source(block), encoding="utf-8")
        exe = args.scratch / f"program_{n}"
        compile_flags = flags + (args.mpi_cxxflag if block.mpi else [])
        libs = (args.mpi_lib if block.mpi else []) + args.lib
        command = [args.cxx] + compile_flags + [str(source), "-o", str(exe)] + libs
        execute = None
        if block.compile_only:
            skipped.append(f"{block.where}: compiled, not run: {block.compile_only}")
        else:
            workdir = args.scratch / f"run_{n}"
            workdir.mkdir()
            for name, content in block.files.items():
                (workdir / name).write_text(content, encoding="utf-8")
            launcher = args.mpirun + ["2"] if block.mpi else []
            execute = (launcher + [str(exe)], workdir)
        jobs.append((f"program {block.where}", command, execute))
    for mpi, group in fragments.items():
        if not group:
            continue
        source = args.scratch / f"fragments{'_mpi' if mpi else ''}.cpp"
        source.write_text(fragment_source(group), encoding="utf-8")
        compile_flags = flags + (args.mpi_cxxflag if mpi else [])
        where = ", ".join(b.where for b in group)
        jobs.append((f"{len(group)} fragments ({where})", [args.cxx] + compile_flags + ["-fsyntax-only", str(source)],
                     None))

    if args.list:
        for description, command, execute in jobs:
            print(description, "(compiled and run)" if execute else "(compiled)")
        for line in skipped:
            print(line)
        return 0

    def check(job):
        description, command, execute = job
        result = run(command)
        if result.returncode != 0:
            return f"FAILED to compile: {description}\n$ {' '.join(command)}\n{result.stdout}"
        if execute is None:
            return None
        argv, workdir = execute
        try:
            result = run(argv, cwd=workdir, timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return f"FAILED: {description} still ran after {RUN_TIMEOUT_S} s"
        if result.returncode != 0:
            return f"FAILED: {description} exited with {result.returncode}\n{result.stdout}"
        return None

    failures = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for job, failure in zip(jobs, pool.map(check, jobs)):
            if failure:
                failures.append(failure)
            else:
                print(f"doc-test: ok: {job[0]}{' (compiled and run)' if job[2] else ''}")
    for line in skipped:
        print(f"doc-test: {line}")
    for failure in failures:
        print(f"doc-test: {failure}", file=sys.stderr)
    total = len(blocks)
    print(f"doc-test: {total} C++ blocks in {len(documents)} documents; {len(failures)} of {len(jobs)} checks failed")
    return 1 if failures or not blocks else 0


if __name__ == "__main__":
    sys.exit(main())
