#!/usr/bin/env python
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fail when a role's meta/argument_specs.yml and defaults/main.yml disagree.

Every default must be documented with the same value, and every documented option with a default
must have that default in defaults/main.yml (ansible-test does not check roles).
"""

from __future__ import annotations

import pathlib
import sys

import yaml


def check_role(role: pathlib.Path) -> list:
    defaults_file = role / "defaults" / "main.yml"
    specs_file = role / "meta" / "argument_specs.yml"
    if not specs_file.exists():
        return ["%s: meta/argument_specs.yml is missing" % role.name]
    defaults = yaml.safe_load(defaults_file.read_text()) if defaults_file.exists() else {}
    specs = yaml.safe_load(specs_file.read_text()) or {}
    options = ((specs.get("argument_specs") or {}).get("main") or {}).get("options") or {}
    errors = []
    for name in sorted(set(defaults or {}) - set(options)):
        errors.append("%s: %s is in defaults/main.yml but not in meta/argument_specs.yml" % (role.name, name))
    for name, spec in sorted(options.items()):
        if not spec.get("description"):
            errors.append("%s: %s has no description" % (role.name, name))
        if name in (defaults or {}):
            if "default" in spec and spec["default"] != defaults[name]:
                errors.append("%s: %s defaults differ: %r in argument_specs, %r in defaults" % (role.name, name, spec["default"], defaults[name]))
            if "default" not in spec and defaults[name] is not None:  # null means "not set": nothing to document
                errors.append("%s: %s has a default in defaults/main.yml but none in argument_specs" % (role.name, name))
        elif "default" in spec:
            errors.append("%s: %s has a default in argument_specs but not in defaults/main.yml" % (role.name, name))
    return errors


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    roles = sorted(p for p in (root / "roles").glob("*") if p.is_dir())
    errors = [error for role in roles for error in check_role(role)]
    for error in errors:
        sys.stderr.write(error + "\n")
    sys.stdout.write("checked %d role(s): %d problem(s)\n" % (len(roles), len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
