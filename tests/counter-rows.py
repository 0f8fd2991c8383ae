#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Rows of the observers' counters map for the host tests of the exporter.

Nothing on the host writes back pinned pages, so the tests write the rows
themselves, into the map of a running pinbounce process, with bpftool.  A row's key is a device and a cgroup id: the inode
number of the cgroup's directory on the cgroup2 mount.

  counter-rows.py root
      the cgroup2 mount to make cgroups in: /sys/fs/cgroup if it is one,
      else the first in /proc/mounts (a hybrid host's .../unified)
  counter-rows.py fill PID MAJ:MIN VALUE CGROUP...
      a row for each CGROUP, a directory or id:ID (a cgroup removed since),
      on device MAJ:MIN, every counter VALUE on every CPU: VALUE times the
      number of possible CPUs once added up
  counter-rows.py id DIR...
      the cgroup ids of the DIRs
  counter-rows.py count PID
      the rows in the counters map of process PID
  counter-rows.py ncpus
      the possible CPUs, which the values are added up over
  counter-rows.py churn PID MAJ:MIN DIR RATE SECONDS
      replace RATE cgroups a second in DIR, for SECONDS: remove the oldest
      of the numbered cgroups DIR/1, DIR/2... and make the next, with a
      row (VALUE 1); prints how many it replaced
"""
import json
import os
import re
import struct
import subprocess
import sys
import time

def root():
    with open('/proc/mounts') as f:
        mounts = [line.split()[1] for line in f if line.split()[2] == 'cgroup2']
    if not mounts:
        sys.exit('counter-rows: no cgroup2 mount')
    return '/sys/fs/cgroup' if '/sys/fs/cgroup' in mounts else mounts[0]


def counters_map(pid, wait=30.0):
    """The id and value size of the counters map of process PID."""
    end = time.monotonic() + wait
    while time.monotonic() < end:
        fdinfo = '/proc/%d/fdinfo' % pid
        for fd in os.listdir(fdinfo):
            try:
                with open(os.path.join(fdinfo, fd)) as f:
                    m = re.search(r'^map_id:\s*(\d+)', f.read(), re.M)
            except OSError:
                continue
            if not m:
                continue
            info = json.loads(subprocess.run(['bpftool', '-j', 'map', 'show', 'id', m.group(1)],
                                             capture_output=True, text=True).stdout or '{}')
            if info.get('name') == 'counters' and info.get('bytes_key') == 16:
                return info['id'], info['bytes_value']
        time.sleep(0.1)
    sys.exit('counter-rows: no counters map in process %d' % pid)


def cgroup_id(cgroup):
    if cgroup.startswith('id:'):
        return int(cgroup[3:])
    if not os.path.isdir(cgroup):
        sys.exit('counter-rows: %s: not a cgroup' % cgroup)
    return os.stat(cgroup).st_ino


def ncpus():
    with open('/sys/devices/system/cpu/possible') as f:
        spans = [r.partition('-') for r in f.read().strip().split(',')]
    return sum(int(b or a) - int(a) + 1 for a, _, b in spans)


def count(pid):
    map_id = counters_map(pid)[0]
    out = subprocess.run(['bpftool', '-j', 'map', 'dump', 'id', str(map_id)],
                         capture_output=True, text=True, check=True).stdout
    return len(json.loads(out))


def hexbytes(b):
    return ' '.join('%02x' % x for x in b)


def fill(pid, dev, value, cgroups, mapinfo=None):
    map_id, vsize = mapinfo or counters_map(pid)
    major, minor = (int(x) for x in dev.split(':'))
    val = hexbytes(struct.pack('<Q', value) * (vsize // 8))
    cmds = []
    for cg in cgroups:
        key = struct.pack('<IIQ', major << 20 | minor, 0, cgroup_id(cg))
        cmds.append('map update id %d key hex %s value hex %s\n' % (map_id, hexbytes(key), val))
    # bpftool copies the value to every CPU
    subprocess.run(['bpftool', 'batch', 'file', '-'], input=''.join(cmds), text=True,
                   check=True, stdout=subprocess.DEVNULL)


def churn(pid, dev, base, rate, secs):
    mapinfo = counters_map(pid)
    names = sorted(int(n) for n in os.listdir(base) if n.isdigit())
    step = max(1, rate // 10)  # ten times a second
    nxt = names[-1] + 1 if names else 1
    start = time.monotonic()
    done = 0
    while time.monotonic() - start < secs:
        new = []
        for _ in range(step):
            if names:
                os.rmdir(os.path.join(base, str(names.pop(0))))
            os.mkdir(os.path.join(base, str(nxt)))
            names.append(nxt)
            new.append(os.path.join(base, str(nxt)))
            nxt += 1
        fill(pid, dev, 1, new, mapinfo)
        done += step
        time.sleep(max(0.0, start + done / rate - time.monotonic()))
    print(done)


def main(argv):
    if argv[:1] == ['root'] and len(argv) == 1:
        print(root())
    elif argv[:1] == ['fill'] and len(argv) >= 4:
        fill(int(argv[1]), argv[2], int(argv[3]), argv[4:])
    elif argv[:1] == ['id']:
        print('\n'.join(str(cgroup_id(d)) for d in argv[1:]))
    elif argv[:1] == ['count'] and len(argv) == 2:
        print(count(int(argv[1])))
    elif argv[:1] == ['ncpus'] and len(argv) == 1:
        print(ncpus())
    elif argv[:1] == ['churn'] and len(argv) == 6:
        churn(int(argv[1]), argv[2], argv[3], int(argv[4]), float(argv[5]))
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main(sys.argv[1:])
