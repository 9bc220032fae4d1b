#!/usr/bin/env bash
# Builds the local test image(s): no registry is reachable, so everything starts FROM scratch
# with the static busybox. `stack-test/busybox:latest` is what fixtures and tests use.
set -euo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp /usr/bin/busybox "$dir/busybox"
cat > "$dir/Dockerfile" <<'DF'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
CMD ["sh"]
DF
docker build -q -t stack-test/busybox:latest "$dir" >/dev/null
docker tag stack-test/busybox:latest stack-test/busybox:1
echo "[images] stack-test/busybox:latest $(docker image inspect -f '{{.Id}}' stack-test/busybox:latest)"
