# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

.PHONY: demo test reliability clean

# The decommission workflow on the local OVHcloud API simulator.
demo:
	bash tools/demo.sh

# Every test: sanity, units, integration, ansible-lint, antsibull-docs, antsibull-changelog.
test:
	bash tools/test.sh

# The fault campaign (docs/reliability.md): the role on 60 services under API faults; ARGS="--services 20 ..." to change it.
reliability:
	bash tools/reliability.sh $(ARGS)

clean:
	rm -rf .cache tests/output .ansible
