#!/usr/bin/python3
"""Validate pinbounce's JSON output against doc/pinbounce-1.schema.json.

usage: schema-check.py [--command CMD] FILE|- ...
Each file holds JSON documents, one per line (or one indented document, or
an array of them, as 'batch file' writes).  With --command, every document
must also be of that command.  Prints each violation with its place; exits
1 when there is one, 2 when a file is not JSON.
"""
import json
import os
import sys

import jsonschema

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "doc",
                      "pinbounce-1.schema.json")


def documents(text):
    """The documents of @text: the whole of it, or one per line."""
    try:
        doc = json.loads(text)
        return doc if isinstance(doc, list) else [doc]
    except json.JSONDecodeError:
        pass
    docs = []
    for line in text.splitlines():
        if line.strip():
            doc = json.loads(line)
            docs.extend(doc if isinstance(doc, list) else [doc])
    return docs


def main(argv):
    want = None
    if len(argv) > 2 and argv[1] == "--command":
        want = argv[2]
        argv = argv[2:]
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(SCHEMA) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    for name in argv[1:]:
        text = sys.stdin.read() if name == "-" else open(name).read()
        try:
            docs = documents(text)
        except json.JSONDecodeError as e:
            print(f"{name}: not JSON: {e}", file=sys.stderr)
            return 2
        if not docs:
            print(f"{name}: no documents", file=sys.stderr)
            return 2
        for i, doc in enumerate(docs):
            errors = list(validator.iter_errors(doc))
            if want and isinstance(doc, dict) and doc.get("command") != want:
                errors.append(f"command is {doc.get('command')!r}, not {want!r}")
            for e in errors:
                where = "/".join(str(p) for p in getattr(e, "absolute_path", []))
                msg = getattr(e, "message", e)
                # anyOf hides the cause: show the closest branch's errors
                for sub in sorted(getattr(e, "context", None) or [],
                                  key=lambda s: -len(s.absolute_path))[:3]:
                    msg = f"{msg}\n    {'/'.join(map(str, sub.absolute_path))}: {sub.message}"
                print(f"{name}: document {i + 1}: at /{where}: {msg}", file=sys.stderr)
                bad += 1
    if bad:
        print(f"schema pinbounce/1: {bad} violation(s)", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
