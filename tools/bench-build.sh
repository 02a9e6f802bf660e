#!/usr/bin/env bash
# make bench-build: builds the Pulumi program, cmd/render and reference B (tools/benchref) one after another, each
# from an empty GOCACHE (the module cache stays warm), and prints for each its package count (go list -deps), wall
# time and peak memory (GNU time's maximum resident set, the largest compiler or linker process), and the ratios to
# reference B. Then it checks the lean-build rules that need no timing.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${GO:=go}"

targets=(. ./cmd/render ./tools/benchref)
names=("program (go build .)" "cmd/render" "reference B")
declare -a secs mem pkgs

for i in "${!targets[@]}"; do
  t=${targets[$i]}
  tags=()
  [ "$t" = ./tools/benchref ] && tags=(-tags benchref)
  pkgs[$i]=$($GO list "${tags[@]}" -deps "$t" | wc -l)
  cache=$(mktemp -d)
  out=$(mktemp)
  GOCACHE=$cache /usr/bin/time -f '%e %M' -o "$out" $GO build "${tags[@]}" -o /dev/null "$t"
  read -r secs[$i] mem[$i] < "$out"
  rm -rf "$cache" "$out"
  printf '%-22s %5d packages  %7.1f s  %6.2f GB\n' "${names[$i]}" "${pkgs[$i]}" "${secs[$i]}" "$(awk -v k="${mem[$i]}" 'BEGIN{print k/1048576}')"
done

ref=2
echo
for i in 0 1; do
  awk -v n="${names[$i]}" -v p="${pkgs[$i]}" -v rp="${pkgs[$ref]}" -v s="${secs[$i]}" -v rs="${secs[$ref]}" \
    'BEGIN{printf "%-22s packages %.2fx, cold build %.2fx reference B\n", n, p/rp, s/rs}'
done

echo
groups=$($GO list -deps . | grep -cE '^github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/[a-z0-9]+/v[0-9a-z]+$' || true)
echo "generated pulumi-kubernetes API-group packages linked by the program: $groups"
heavy=$($GO list -deps ./internal/program/config | grep -E '^github.com/aws/aws-sdk-go-v2/service/|^k8s.io/client-go/|^sigs.k8s.io/controller-runtime/|^github.com/aws/karpenter-provider-aws/|^helm.sh/' || true)
echo "engines linked by internal/program/config: ${heavy:-none}"
