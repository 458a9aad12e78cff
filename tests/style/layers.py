#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Checks the include rules of STYLE.md over src/:

- dependencies run one way: base -> config -> store|blob|media|speech|text -> domain -> jobs
  -> http -> api -> cmd (a folder may include itself and anything lower; main.c, cmd);
- third-party headers stay in their adapter file (microhttpd.h in
  src/http/server.c, sqlite3.h in src/store/sqlite.c, libpq-fe.h in
  src/store/pg.c) or folder (the FFmpeg libraries in src/media/, pocketsphinx and
  sphinxbase in src/speech/, libstemmer, liblinear and md4c in src/text/);
- base/banned.h is the last #include of every .c file;
- <dir>/internal.h and store/driver.h are included only inside their folder.
"""
import os
import re
import sys

LAYERS = ['base', 'config', 'store', 'blob', 'media', 'speech', 'text', 'domain', 'jobs', 'http', 'api', 'cmd']
# store, blob, media, speech and text are one level: none includes another.
LEVEL = {'base': 0, 'config': 1, 'store': 2, 'blob': 2, 'media': 2, 'speech': 2, 'text': 2, 'domain': 3, 'jobs': 4,
         'http': 5, 'api': 6, 'cmd': 7}
ADAPTERS = {'microhttpd.h': 'src/http/server.c', 'sqlite3.h': 'src/store/sqlite.c',
            'libpq-fe.h': 'src/store/pg.c'}
PRIVATE = {'store/driver.h': 'store', 'media/internal.h': 'media'}


def main(root):
    problems = []
    src = os.path.join(root, 'src')
    for dirpath, _, files in os.walk(src):
        for name in sorted(files):
            if not name.endswith(('.c', '.h')):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            folder = os.path.relpath(dirpath, src).split(os.sep)[0]
            level = LEVEL.get(folder, len(LAYERS))
            includes = []
            with open(path, encoding='utf-8') as f:
                for n, line in enumerate(f, 1):
                    m = re.match(r'\s*#\s*include\s*([<"])([^>"]+)[>"]', line)
                    if m:
                        includes.append((n, m.group(1), m.group(2)))
            for n, kind, inc in includes:
                top = inc.split('/')[0]
                if kind == '"' and top in LEVEL and top != folder and LEVEL[top] >= level:
                    problems.append(f'{rel}:{n}: includes "{inc}" from a layer not below {folder} ({top})')
                if re.match(r'lib(av|sw)[a-z]+/', inc) and folder != 'media':
                    problems.append(f'{rel}:{n}: <{inc}> belongs only in src/media/')
                if re.match(r'(pocketsphinx|sphinxbase)\b', inc) and folder != 'speech':
                    problems.append(f'{rel}:{n}: <{inc}> belongs only in src/speech/')
                if re.match(r'(libstemmer|linear|md4c)', inc) and kind == '<' and folder != 'text':
                    problems.append(f'{rel}:{n}: <{inc}> belongs only in src/text/')
                base = os.path.basename(inc)
                if base in ADAPTERS and rel != ADAPTERS[base]:
                    problems.append(f'{rel}:{n}: <{inc}> belongs only in {ADAPTERS[base]}')
                if inc in PRIVATE and folder != PRIVATE[inc]:
                    problems.append(f'{rel}:{n}: "{inc}" is internal to src/{PRIVATE[inc]}/')
                if inc.endswith('/internal.h') and top != folder:
                    problems.append(f'{rel}:{n}: "{inc}" is internal to src/{top}/')
            if name.endswith('.c'):
                if not includes or includes[-1][2] != 'base/banned.h':
                    problems.append(f'{rel}: base/banned.h must be the last #include')
    for p in problems:
        print(p)
    print(f'{len(problems)} problem(s) in the include rules')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else '.'))
