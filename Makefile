# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

.PHONY: demo test clean

# The decommission workflow on the local OVHcloud API simulator.
demo:
	bash tools/demo.sh

# Every test: sanity, units, integration, ansible-lint, antsibull-docs, antsibull-changelog.
test:
	bash tools/test.sh

clean:
	rm -rf .cache tests/output .ansible
