#!/usr/bin/env bash
# `npm run demo`: sets the machine up (scripts/setup.sh), then brings up the README's worked
# example (examples/hello) under a project of your own (hello-<user>, or STACK_PROJECT_NAME)
# on a free host port (or HELLO_PORT), and prints the URL to open and how to take it down.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

user=$(id -un 2>/dev/null | tr 'A-Z' 'a-z' | tr -c 'a-z0-9_\n-' '-' || true)
export STACK_PROJECT_NAME="${STACK_PROJECT_NAME:-hello-${user:-demo}}"
cd examples/hello
node ../../bin/stack.cjs up -d
address=$(docker port "$STACK_PROJECT_NAME-web-1" 8080/tcp | head -n 1)
cat <<MSG

project $STACK_PROJECT_NAME is up: open http://$address/
  cd examples/hello && export STACK_PROJECT_NAME=$STACK_PROJECT_NAME
  npx stack ps        # its containers
  npx stack down      # takes it down (-v also removes the volume)
MSG
