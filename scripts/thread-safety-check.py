#!/usr/bin/python3
"""Runs clang's thread-safety analysis over every C++ file of the project.

GCC ignores the ABSL_GUARDED_BY / ABSL_EXCLUSIVE_LOCKS_REQUIRED annotations
the code carries; clang checks them. This compiles each of the project's
translation units with clang++ -fsyntax-only (no code generated) using the
flags CMake recorded in compile_commands.json, and fails on any
thread-safety warning. Usage: thread-safety-check.py BUILD_DIR [JOBS]
"""
import concurrent.futures
import json
import os
import shlex
import subprocess
import sys

CLANG = "clang++"
CHECKS = ["-fsyntax-only", "-Wthread-safety", "-Werror=thread-safety",
          "-Wno-unknown-warning-option"]


def clang_command(entry):
    args = entry.get("arguments") or shlex.split(entry["command"])
    # args[0] is the compiler; -c and -o OUT do not apply to -fsyntax-only.
    flags = []
    rest = iter(args[1:])
    for arg in rest:
        if arg == "-o":
            next(rest, None)
        elif arg != "-c":
            flags.append(arg)
    return [CLANG] + CHECKS + flags


def main():
    build = sys.argv[1]
    jobs = int(sys.argv[2]) if len(sys.argv) > 2 else os.cpu_count() or 1
    source_root = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
    with open(os.path.join(build, "compile_commands.json")) as f:
        entries = json.load(f)
    ours = [e for e in entries
            if os.path.realpath(e["file"]).startswith(source_root + os.sep)
            and not os.path.realpath(e["file"]).startswith(
                os.path.realpath(build) + os.sep)]
    if not ours:
        print("thread-safety: no project sources in compile_commands.json")
        return 1

    def check(entry):
        result = subprocess.run(clang_command(entry), cwd=entry["directory"],
                                capture_output=True, text=True)
        return entry["file"], result.returncode, result.stderr

    failed = 0
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        for path, code, err in pool.map(check, ours):
            if code != 0:
                failed += 1
                print(f"thread-safety: {os.path.relpath(path, source_root)}:")
                print(err)
    print(f"thread-safety: {len(ours) - failed} of {len(ours)} files clean")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
