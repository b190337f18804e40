#!/usr/bin/env python3
"""register_csv.py: the member register the end-to-end benchmarks import (issue 12).

    bench/register_csv.py N FILE

N rows with CLI.md's register columns, every one registered out to 南京 (place 南京市, reason
work, from 2026-03-01), in branch 001; the same rows as bench/sync_import.sh. Identity numbers
are valid (area 110105, check character by ISO 7064 MOD 11-2), distinct, and increase with the
row, so the last row has the largest: bench/pg_repl.sh waits for that one at the subscriber.
The same file feeds `liudong import members` and PostgreSQL's COPY.
"""
import datetime
import sys

HEADER = ('id,name,sex,birth,joined,kind,branch,dues_category,income,phone,to,place,reason,'
          'from,until,fixed_place,employer')
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
BASE = datetime.date(1950, 1, 1)


def row(i):
    birth = BASE + datetime.timedelta(days=i // 999)
    seq = i % 999 + 1
    s17 = '110105' + birth.strftime('%Y%m%d') + '%03d' % seq
    check = '10X98765432'[sum(int(c) * k for c, k in zip(s17, W)) % 11]
    if birth.month == 2 and birth.day == 29:
        joined = birth.replace(year=birth.year + 20, day=28)
    else:
        joined = birth.replace(year=birth.year + 20)
    sex = 'M' if seq % 2 else 'F'
    return (f'{s17}{check},党员{i},{sex},{birth},{joined},full,001,salaried,5000,,南京,南京市,'
            f'work,2026-03-01,,no,')


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: register_csv.py N FILE')
    n = int(sys.argv[1])
    with open(sys.argv[2], 'w', encoding='utf-8') as f:
        f.write(HEADER + '\n')
        for i in range(n):
            f.write(row(i) + '\n')


if __name__ == '__main__':
    main()
