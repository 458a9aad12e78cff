#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-or-later
# ESLint (recommended rules) over the JavaScript of web/ and tests/.
set -eu
cd "$1"
web/node_modules/.bin/eslint -c web/eslint.config.js --max-warnings 0 web tests
echo "eslint: clean"
