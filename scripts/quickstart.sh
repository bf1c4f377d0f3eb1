#!/bin/sh
# The main job on the embedded store, as a dry run: store seed 002's resources with
# calicoctl, then let the agent compute and plan node host-01's ruleset without applying it.
# Needs no root and no server; everything lives in a temporary directory.
set -eu
cd "$(dirname "$0")/.."
TABBY_DATA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tabby-quickstart.XXXXXX")
export TABBY_DATA_DIR
trap 'rm -rf "$TABBY_DATA_DIR"' EXIT

node bin/calicoctl.js apply -f fixtures/seed-002-b-policies/input.yaml
node bin/calicoctl.js get policy -o wide
node bin/calicoctl.js get workloadEndpoint
node bin/tabby.js agent --once --dry-run --node host-01
