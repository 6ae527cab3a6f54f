#!/bin/sh
# The browser tests drive Debian's chromium through Playwright; no browser is ever downloaded
# by a test tool. Install it from Debian's packages when it is missing and we may.
set -eu
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
else
    echo "chromium is missing: install Debian's 'chromium' package (as root: apt-get install chromium)" >&2
    exit 1
fi
