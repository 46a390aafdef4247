#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Count the results of test VM runs and print the totals line.

usage: results.py GROUP [-- GROUP ...]
  GROUP: [--arch NAME] [--guest-status N] RUNDIR [HOST_TAP...]

For each group (one architecture's runs: make check gives one per
architecture), reads RUNDIR/tap/*.tap (and *.rc) written by
guest-tests.sh, the extra TAP files given (host-side checks), the guest's
kernel log and kmemleak report. Counts every top-level TAP result; a suite
whose plan is not met, that exited non-zero without a failing result, or
that never ran, counts as a failure. Every kernel report (WARN, BUG, oops,
KASAN, lockdep, hung task, kmemleak leak...) that is not in
expected-log-lines counts as one failure. A guest that did not finish, a
guest test runner that exited non-zero (N, as vm.sh reported it) and a run
in which no guest suite reported anything each count as a failure too.

With --arch, the group's suites are printed under that name with a
subtotal line "NAME: N passed, N failed, N skipped". The last line printed
is exactly "N passed, N failed, N skipped", the sum over all groups; the
exit status is 0 only when nothing failed and at least one test passed.
"""
import glob
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# The first line of every kind of kernel report we know of.
SPLAT_START = [
    r'WARNING: ', r'------------\[ cut here \]------------',
    r'BUG: ', r'kernel BUG at', r'Oops', r'general protection fault',
    r'KASAN: ', r'UBSAN: ', r'Kernel panic', r'kernel panic',
    r'possible circular locking dependency', r'possible recursive locking',
    r'inconsistent lock state', r'suspicious RCU usage',
    r'INFO: task .* blocked for more than', r'soft lockup', r'hard LOCKUP',
    r'rcu: INFO: ', r'detected stall', r'list_(add|del) corruption',
    r'unreferenced object 0x', r'kmemleak: .*suspected memory leak',
    r'Call Trace:', r'page allocation failure', r'DMAR: \[DMA',
    r'DMAR: DRHD: handling fault',
    # arm64: its stack traces, faults and SMMUv3 events
    r'Call trace:', r'Unable to handle kernel', r'SError Interrupt',
    r'arm-smmu-v3 .*: event 0x[0-9a-f]+ received',
    r'invoked oom-killer', r'Out of memory',
]
# A stack trace that starts this close after a report belongs to it.
TRACE_WINDOW = 60

# "ok 3 name # SKIP why", and also "ok 3 # SKIP why" (the kselftest
# harness's form for a test skipped before it printed its name)
TAP_RE = re.compile(r'^(not )?ok (\d+)(?: - | )?(.*?)(?:\s*#\s*(SKIP|XFAIL|TODO)\b(.*))?$',
                    re.I)
PLAN_RE = re.compile(r'^1\.\.(\d+)(?:\s*#\s*SKIP\b(.*))?', re.I)
STRIP_TS = re.compile(r'^\[\s*\d+\.\d+\]\s*')


def load_expected():
    pats = []
    with open(os.path.join(HERE, 'expected-log-lines')) as f:
        for line in f:
            line = line.rstrip('\n')
            if line and not line.startswith('#'):
                pats.append(re.compile(line))
    return pats


def parse_tap(name, text, rc):
    """Return (passed, failed, skipped, failure descriptions).

    Counts the top-level results; for KUnit suites (whose file holds one
    suite with its test cases as indented subtests) the test cases.
    """
    if name.startswith('kunit-'):
        lines = [l[4:] for l in text.splitlines() if l.startswith('    ')]
        text = '\n'.join(lines)
    p = f = s = 0
    fails = []
    plan = None
    seen = 0
    for line in text.splitlines():
        m = PLAN_RE.match(line)
        if m and plan is None:
            plan = int(m.group(1))
            # "1..0 # SKIP why": the whole suite is one skip
            if plan == 0 and m.group(2) is not None:
                s += 1
                seen = 1
            continue
        m = TAP_RE.match(line)
        if not m:
            continue
        seen += 1
        directive = (m.group(4) or '').upper()
        if directive == 'SKIP':
            s += 1
        elif m.group(1) and directive not in ('XFAIL', 'TODO'):
            f += 1
            fails.append(f'{name}: {m.group(3)}')
        else:
            p += 1
    if plan is not None and seen < plan:
        f += plan - seen
        fails.append(f'{name}: {plan - seen} planned test(s) never reported (crash or hang?)')
    if rc is None:
        f += 1
        fails.append(f'{name}: did not finish')
    elif rc == 124:
        f += 1
        fails.append(f'{name}: timed out')
    elif rc not in (0, 4) and f == 0:
        # 4 is kselftest's "skip" exit code
        f += 1
        fails.append(f'{name}: exited {rc} without reporting a failed test')
    if seen == 0 and rc is not None and rc != 4 and f == 0:
        f += 1
        fails.append(f'{name}: reported no results')
    return p, f, s, fails


def scan_log(lines, expected):
    """Group report lines into events; return the unexpected ones.

    An event starts at any SPLAT_START line. A "Call Trace:" within
    TRACE_WINDOW lines of an event belongs to it; the WARNING:/BUG: line
    that follows a "cut here" marker replaces the marker as the event's
    first line. Any other report line starts a new event.
    """
    starts = [re.compile(p) for p in SPLAT_START]
    events = []   # [line index, first line, allowed]
    for i, raw in enumerate(lines):
        line = STRIP_TS.sub('', raw).strip()
        if not any(r.search(line) for r in starts):
            continue
        allowed = any(e.search(line) for e in expected)
        last = events[-1] if events else None
        if last and line.lower().startswith('call trace:') and \
                i - last[0] <= TRACE_WINDOW:
            continue
        if last and 'cut here' in last[1] and i - last[0] <= 3:
            last[1], last[2] = line, allowed
            continue
        events.append([i, line, allowed])
    return [e for e in events if not e[2]]


# /proc/sys/kernel/tainted: one letter per bit, as the kernel prints them
TAINT_LETTERS = 'PFSRMBUDAWCIOELKXTN'
# TAINT_TEST (N): KUnit sets it whenever its tests run
TAINT_OK = 1 << 18


def check_taint(path):
    """The letters of taint flags a test run must not leave, or ''."""
    if not os.path.exists(path):
        return ''
    with open(path) as fh:
        text = fh.read().strip()
    value = int(text) if text.isdigit() else -1
    if value < 0:
        return f'unreadable ({text!r})'
    value &= ~TAINT_OK
    letters = ''.join(c for i, c in enumerate(TAINT_LETTERS) if value >> i & 1)
    return letters or (hex(value) if value else '')


def count_group(arch, guest_status, run, host_taps, expected):
    """Print one group's suites; return (passed, failed, skipped, failures)."""
    tot_p = tot_f = tot_s = 0
    failures = []
    where = f'{arch} ' if arch else ''
    indent = '    ' if arch else '  '
    if arch:
        print(f'  {arch}:')

    guest_taps = sorted(glob.glob(os.path.join(run, 'tap', '*.tap')))
    if not guest_taps:
        tot_f += 1
        failures.append(f'{where}guest: no test suite reported anything')
    if guest_status not in (None, 0, 124, 125):
        tot_f += 1
        failures.append(f'{where}guest: the test runner exited {guest_status}')
    taps = guest_taps + host_taps
    for tap in taps:
        name = os.path.basename(tap)[:-4]
        rcfile = tap[:-4] + '.rc'
        # Host-side TAP files have no exit status file; guest suites do.
        rc = 0 if tap in host_taps else None
        if os.path.exists(rcfile):
            with open(rcfile) as fh:
                rc = int(fh.read().strip() or 1)
        with open(tap, errors='replace') as fh:
            p, f, s, fl = parse_tap(name, fh.read(), rc)
        print(f'{indent}{name}: {p} passed, {f} failed, {s} skipped')
        tot_p += p
        tot_f += f
        tot_s += s
        failures += [f'{where}{x}' for x in fl]

    if not os.path.exists(os.path.join(run, 'cmd.rc')):
        tot_f += 1
        failures.append(f'{where}guest: did not finish (crash, panic or hang); '
                        f'see {run}/console.log')

    # Each boot's kernel log as dmesg saw it at the end and as the console
    # printed it: either may lack what the other has (a wrapped ring
    # buffer, a guest that died before dmesg ran, dropped console lines).
    boots = [('', [os.path.join(run, 'dmesg.txt'),
                   os.path.join(run, 'console.log'),
                   os.path.join(run, 'kmemleak.txt')])]
    # Extra boots: check-arch.sh copies their logs as extra-NAME.*
    for extra in sorted(glob.glob(os.path.join(run, 'extra-*.dmesg'))):
        base = extra[:-len('.dmesg')]
        boots.append((os.path.basename(base) + ' ',
                      [extra, base + '.console', base + '.kmemleak',
                       base + '.tainted']))
    nsplats = 0
    for boot, logs in boots:
        seen = set()
        for log in logs:
            if log.endswith('tainted'):
                bad = check_taint(log)
                if bad:
                    failures.append(f'{where}{boot}kernel tainted: {bad} ({log})')
                    nsplats += 1
                continue
            if not os.path.exists(log):
                continue
            with open(log, errors='replace') as fh:
                lines = fh.read().splitlines()
            for idx, first, _ in scan_log(lines, expected):
                # The same report in both logs has the same timestamp.
                key = lines[idx].strip()
                if key in seen:
                    continue
                seen.add(key)
                failures.append(f'{where}kernel log: {first}  ({log} line {idx + 1})')
                nsplats += 1
        if boot == '':
            bad = check_taint(os.path.join(run, 'tainted'))
            if bad:
                failures.append(f'{where}kernel tainted: {bad} '
                                f'({os.path.join(run, "tainted")})')
                nsplats += 1
    tot_f += nsplats
    print(f'{indent}kernel log: {nsplats} unexpected report(s)')
    if arch:
        print(f'  {arch}: {tot_p} passed, {tot_f} failed, {tot_s} skipped')
    return tot_p, tot_f, tot_s, failures


def parse_groups(args):
    """Split the command line into (arch, guest_status, run, host_taps)."""
    groups = []
    cur = []
    for a in args + ['--']:
        if a != '--':
            cur.append(a)
            continue
        arch = status = None
        while cur[:1] in (['--arch'], ['--guest-status']):
            if cur[0] == '--arch':
                arch = cur[1]
            else:
                status = int(cur[1])
            cur = cur[2:]
        if not cur:
            sys.exit(__doc__)
        groups.append((arch, status, cur[0], cur[1:]))
        cur = []
    return groups


def main():
    groups = parse_groups(sys.argv[1:])
    expected = load_expected()
    tot_p = tot_f = tot_s = 0
    failures = []
    for arch, status, run, host_taps in groups:
        p, f, s, fl = count_group(arch, status, run, host_taps, expected)
        tot_p += p
        tot_f += f
        tot_s += s
        failures += fl

    if failures:
        print('Failures:')
        for fl in failures:
            print(f'  - {fl}')
    if tot_p == 0 and tot_f == 0:
        print('No test ran.')
    print(f'{tot_p} passed, {tot_f} failed, {tot_s} skipped')
    sys.exit(0 if tot_f == 0 and tot_p > 0 else 1)


if __name__ == '__main__':
    main()
