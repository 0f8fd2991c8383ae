#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""What the documents say against what the tree and the binaries have.

  tests/docs-check.py links FILE...         every relative link and anchor resolves
  tests/docs-check.py synopses README HELP  the command table's synopses are in HELP
  tests/docs-check.py apt README CONTROL    the README's apt lines against Build-Depends
  tests/docs-check.py block README START    the README's code block whose first line
                                            is START, printed (for a comparison)

One line per problem on stdout; exit status 1 if there was one.
"""
import os
import re
import sys


def slug(heading):
    """GitHub's anchor of a heading."""
    s = heading.strip().lower()
    s = re.sub(r'[`*_]', '', s)
    s = re.sub(r'[^\w\- ]', '', s)
    return s.replace(' ', '-')


def headings(path):
    out, fence = set(), False
    for line in open(path, encoding='utf-8'):
        if line.startswith('```'):
            fence = not fence
        elif not fence and re.match(r'#{1,6} ', line):
            out.add(slug(line.lstrip('#')))
    return out


def prose(path):
    """The lines of PATH outside code blocks, with their numbers."""
    fence = False
    for n, line in enumerate(open(path, encoding='utf-8'), 1):
        if line.startswith('```'):
            fence = not fence
        elif not fence:
            yield n, line


def links(files):
    bad = []
    for f in files:
        for n, line in prose(f):
            for target in re.findall(r'\]\(([^)\s]+)\)', line):
                if re.match(r'[a-z]+:', target):
                    continue
                path, _, anchor = target.partition('#')
                dest = os.path.normpath(os.path.join(os.path.dirname(f), path)) if path else f
                if not os.path.exists(dest):
                    bad.append(f'{f}:{n}: link to {target}: no {dest}')
                elif anchor and (not dest.endswith('.md') or anchor not in headings(dest)):
                    bad.append(f'{f}:{n}: link to {target}: no heading #{anchor} in {dest}')
    return bad


def synopses(readme, helpfile):
    help_text = re.sub(r'\s+', ' ', open(helpfile, encoding='utf-8').read())
    bad, seen = [], 0
    for n, line in prose(readme):
        m = re.match(r'\| `((pinbounce|pinforce) [^`]*)` \|', line)
        if not m:
            continue
        seen += 1
        syn = m.group(1).replace('\\|', '|')
        if syn not in help_text:
            bad.append(f'{readme}:{n}: "{syn}" is not what the help prints')
    if seen < 8:
        bad.append(f'{readme}: only {seen} command synopses found in its table')
    return bad


def apt_lines(readme):
    """The package lists of the README's 'apt-get install' commands."""
    text = open(readme, encoding='utf-8').read().replace('\\\n', ' ')
    return [re.findall(r'\s([a-z0-9][a-z0-9.+-]+)', ' ' + m)
            for m in re.findall(r'apt-get install --no-install-recommends([^\n]*)', text)]


def apt(readme, control):
    deps = re.search(r'^Build-Depends:(.*?)^\S', open(control, encoding='utf-8').read(),
                     re.S | re.M).group(1)
    build = {re.sub(r'\s*\(.*', '', d).strip() for d in deps.split(',') if d.strip()}
    build = {'debhelper' if d == 'debhelper-compat' else d for d in build}
    lines = apt_lines(readme)
    if len(lines) != 2:
        return [f'{readme}: {len(lines)} apt-get lines, expected 2 (make user, the package)']
    bad = []
    user, deb = set(lines[0]), set(lines[1])
    # make user: the libraries and tools of the build, not the package's or
    # the unit tests'.
    want_user = (build - {'debhelper', 'libcmocka-dev'}) | {'make', 'gcc'}
    if user != want_user:
        bad.append(f'{readme}: apt line for make user: missing {sorted(want_user - user)}, '
                   f'not needed {sorted(user - want_user)}')
    want_deb = build | {'dpkg-dev'}
    if deb != want_deb:
        bad.append(f'{readme}: apt line for the package: missing {sorted(want_deb - deb)}, '
                   f'not needed {sorted(deb - want_deb)}')
    return bad


def block(readme, start):
    blocks, cur = [], None
    for line in open(readme, encoding='utf-8').read().split('\n'):
        if line.startswith('```'):
            if cur is None:
                cur = []
            else:
                blocks.append(cur)
                cur = None
        elif cur is not None:
            cur.append(line)
    for b in blocks:
        if b and b[0] == start:
            print('\n'.join(b[1:]))
            return []
    return [f'{readme}: no code block starts with "{start}"']


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    bad = {'links': lambda: links(args), 'synopses': lambda: synopses(*args),
           'apt': lambda: apt(*args), 'block': lambda: block(*args)}[cmd]()
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
