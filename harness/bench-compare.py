#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# The "x upstream" table of make bench: every row of our perf kernel next
# to the same row measured on upstream Linux 6.12 (same VM, same
# iommufd-bench binary, booted right after), as upstream's median over
# ours (above 1: we are faster, or for kmem use less memory), plus the
# cost per 4 KiB page of every map, unmap and copy row so that rows of
# different sizes compare at a glance. Our iommufd rows are compared with
# upstream's iommufd, our type1 rows (6.1's type1) with upstream's type1.
#
# Usage: bench-compare.py CSV OURS_LABEL UPSTREAM_LABEL [CSV...]: the rows
# of every CSV given, told apart by the label in their kernel column.
import csv
import re
import sys

PAGE = 4096


def label_of(row):
    m = re.search(r'\[([^\]]+)\]$', row['kernel'])
    return m.group(1) if m else ''


def cost(row):
    """What is compared: time per call in ns; memory for kmem, the
    last-to-first ratio for map-scale"""
    if row['op'] in ('kmem', 'map-scale'):
        return float(row['median'])
    return float(row['median_ns'] or 0)


def per_page(row):
    if row['op'] in ('kmem', 'map-scale') or not row['median_ns']:
        return ''
    pages = max(int(row['size']) // PAGE, 1)
    return '%.1f' % (float(row['median_ns']) / pages)


def size_name(size):
    size = int(size)
    for unit, shift in (('G', 30), ('M', 20), ('K', 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return '%d%s' % (size >> shift, unit)
    return str(size)


def main():
    ours_label, up_label = sys.argv[2:4]
    rows = []
    for path in [sys.argv[1]] + sys.argv[4:]:
        with open(path, newline='') as f:
            rows += list(csv.DictReader(f))
    key = lambda r: (r['path'], r['backing'], r['size'], r['op'])
    upstream = {key(r): r for r in rows if label_of(r) == up_label}
    print('%-10s %-7s %5s %-9s %12s %12s %10s %10s %10s' %
          ('path', 'backing', 'size', 'op', 'ours', 'upstream',
           'x upstream', 'ns/4K us', 'ns/4K up'))
    worse = 0
    for r in rows:
        if label_of(r) != ours_label or r['path'] not in ('iommufd', 'type1'):
            continue
        u = upstream.get(key(r))
        if not u:
            continue
        ours, theirs = cost(r), cost(u)
        # Nothing to compare when ours is zero (kmem of type1 on THP)
        ratio = '%.2f' % (theirs / ours) if ours else '-'
        unit = r['unit'] if r['op'] in ('kmem', 'map-scale') else 'ns'
        print('%-10s %-7s %5s %-9s %12s %12s %10s %10s %10s' %
              (r['path'], r['backing'], size_name(r['size']), r['op'],
               '%.4g %s' % (ours, unit), '%.4g %s' % (theirs, unit), ratio,
               per_page(r), per_page(u)))
        if r['path'] == 'iommufd' and ours and theirs < ours:
            worse += 1
    print('x upstream: upstream 6.12\'s median / ours (above 1: ours is '
          'faster or smaller); %d iommufd row(s) below 1' % worse)


if __name__ == '__main__':
    main()
