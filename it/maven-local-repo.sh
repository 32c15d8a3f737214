#!/usr/bin/env bash
# Prints the local Maven repository that `mvn` uses here (settings.xml, MAVEN_OPTS' -Dmaven.repo.local, or
# ~/.m2/repository), read from Maven itself. Used by .ci/run (which removes this project's artifacts from it)
# and it/fresh-clone-test.sh (which seeds a fresh repository from it).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo="$(mvn -B -q -N -f "$ROOT/pom.xml" help:evaluate -Dexpression=settings.localRepository -DforceStdout 2>/dev/null \
  | sed 's/\x1b\[[0-9;]*m//g' | tail -n 1)" || repo=""
case "$repo" in
  /*) echo "$repo" ;;
  *) echo "${HOME}/.m2/repository" ;;
esac
