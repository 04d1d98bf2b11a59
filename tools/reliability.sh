#!/usr/bin/env bash
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# `make reliability`: installs ansible-core and python-ovh into .cache/venvs (as `make demo` does), then runs the
# fault campaign tests/reliability/campaign.py (docs/reliability.md) with its defaults (60 services, seed 1), or
# with the arguments given: `make reliability ARGS="--services 20 --seed 3"`. Exits 1 when an invariant is violated.
set -eu -o pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

PYTHON=$(controller_python) || { echo "make reliability needs Python >= 3.11" >&2; exit 1; }
mapfile -t CORES < <(usable_core_versions "$(python_minor "$PYTHON")")
NEWEST=${CORES[${#CORES[@]}-1]}
ensure_venv "core-${NEWEST%.*}" "$PYTHON" "ansible-core==$NEWEST" "ovh==$OVH_VERSION"
BIN="$VENV_DIR/core-${NEWEST%.*}/bin"
exec "$BIN/python" "$REPO_ROOT/tests/reliability/campaign.py" --ansible-bin "$BIN" "$@"
