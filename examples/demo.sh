#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's demonstration: run a real pipeline with the freshly built tools.
set -euo pipefail
build=${1:-build}
"$build/tools/px-inspect" --features
