#!/usr/bin/env bash
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# `make demo`: installs ansible-core and python-ovh into .cache/venvs, then runs demo/run.sh, the
# decommission workflow against the local OVHcloud API simulator (nothing leaves this machine).
set -eu -o pipefail
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

PYTHON=$(controller_python) || { echo "make demo needs Python >= 3.11" >&2; exit 1; }
mapfile -t CORES < <(usable_core_versions "$(python_minor "$PYTHON")")
NEWEST=${CORES[${#CORES[@]}-1]}
ensure_venv "core-${NEWEST%.*}" "$PYTHON" "ansible-core==$NEWEST" "ovh==$OVH_VERSION"
ANSIBLE_COLLECTIONS_PATH=$(stage_collection_link)
export ANSIBLE_COLLECTIONS_PATH
export PATH="$VENV_DIR/core-${NEWEST%.*}/bin:$PATH"
exec bash "$REPO_ROOT/demo/run.sh" "$@"
