#!/usr/bin/env python
# Copyright (c) 2026 ovhcloud.mbm contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AWX job path (docs/awx.md), proven with ansible-runner, the program AWX runs jobs with.

Three jobs, each in its own private data dir as AWX lays them out (project/, inventory/, env/envvars,
env/extravars), sharing nothing but the persistent directory that holds ``decommission_state_dir`` and the
reports, against the local API simulator (demo/fleet.json), with the collection installed from the built
artifact:

1. ``plan`` (the ovhcloud.mbm.plan playbook): no write;
2. ``request`` (ovhcloud.mbm.decommission, survey answer decommission_confirm "false"): one terminate per
   approved service;
3. ``confirm`` (ovhcloud.mbm.decommission, decommission_confirm "true"): one confirmation per service, no
   second terminate (the request records and the rate-limit window come from the shared state_dir).

The credential reaches the jobs as AWX injects the custom credential type docs/awx/credential_type.yml:
OVH_* environment variables in env/envvars, rendered from its injectors; no credential file anywhere, and
none of OVH_* in the runner's own environment. Checks the reports, the audit log, the call counts, the
runner artifacts (status, rc, job_events, stdout) and that no secret (application secret, consumer key,
any termination token of GET /_sim/emails) appears in any artifact, report, record or state file. The one
exception is the runner's ``artifacts/<job>/command`` file: ansible-runner records there the environment it
started ansible-playbook with, that is the injected credential, like env/envvars (mode 0600; AWX deletes the
private data dir after the job). It is checked to hold the credential and to be 0600.

    python tools/check_awx_jobs.py BIN_DIR     BIN_DIR: ansible-runner, ansible-playbook, ansible-galaxy, python (ovh)
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request

import jinja2
import yaml

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
APPROVED = ["pcc-203-0-113-10", "pcc-203-0-113-11"]
TERMINATE = "POST /dedicatedCloud/{serviceName}/terminate"
CONFIRM = "POST /dedicatedCloud/{serviceName}/confirmTermination"


def fail(message):
    sys.stderr.write("awx-jobs: FAILED: %s\n" % message)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def run(command, **kwargs):
    print("$ %s" % " ".join(command))
    return subprocess.run(command, check=True, **kwargs)


class Simulator:
    """The API simulator, started from the checkout (it is test tooling, not part of the artifact)."""

    def __init__(self, python, fixture, workdir):
        url_file = os.path.join(workdir, "sim.json")
        self.process = subprocess.Popen(
            [python, "-m", "tests.simulator", "--fixture", fixture, "--port", "0", "--url-file", url_file],
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(workdir, "sim.err"), "w"),
        )
        deadline = time.time() + 30
        while not (os.path.exists(url_file) and os.path.getsize(url_file)):
            check(self.process.poll() is None, "the simulator did not start")
            check(time.time() < deadline, "the simulator did not start within 30 s")
            time.sleep(0.1)
        info = json.load(open(url_file))
        self.url, self.admin_url = info["url"], info["admin_url"]

    def admin(self, path):
        with urllib.request.urlopen(self.admin_url + path, timeout=30) as response:
            return json.loads(response.read().decode("utf-8"))

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def awx_env(credential_type, inputs):
    """The environment AWX injects for a credential of this type (Jinja2 on the env injectors)."""
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    context = dict((field["id"], inputs.get(field["id"], "")) for field in credential_type["inputs"]["fields"])
    return dict((name, environment.from_string(template).render(context)) for name, template in credential_type["injectors"]["env"].items())


def write_yaml(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        yaml.safe_dump(data, handle, default_flow_style=False)


def private_data_dir(top, name, playbook, envvars, extravars, shared):
    """A private data dir like the one AWX hands to ansible-runner for a job."""
    pdd = os.path.join(top, name)
    # An AWX job template runs a playbook file of its project: the guide's wrapper around the collection's playbook,
    # which also publishes the report as the job's artifacts.
    shutil.copytree(os.path.join(REPO_ROOT, "docs", "awx", "project"), os.path.join(pdd, "project"))
    # The inventory source: the collection's inventory plugin, reading with the job's credential.
    write_yaml(
        os.path.join(pdd, "inventory", "account.mbm_services.yml"),
        {"plugin": "ovhcloud.mbm.mbm_services", "state_dir": os.path.join(shared, "state"), "api_rate_limit": int(envvars["OVH_API_RATE_LIMIT"])},
    )
    write_yaml(os.path.join(pdd, "env", "envvars"), envvars)
    write_yaml(os.path.join(pdd, "env", "extravars"), extravars)
    return pdd


def run_job(bin_dir, pdd, playbook, ident, base_env):
    started = time.time()
    result = subprocess.run(
        [os.path.join(bin_dir, "ansible-runner"), "run", pdd, "-p", playbook + ".yml", "--ident", ident],
        env=base_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    artifacts = os.path.join(pdd, "artifacts", ident)
    print(result.stdout[-1500:])
    print("job %s (%s): %.0f s" % (ident, playbook, time.time() - started))
    check(result.returncode == 0, "job %s: ansible-runner exited with %s" % (ident, result.returncode))
    check(open(os.path.join(artifacts, "status")).read().strip() == "successful", "job %s: status" % ident)
    check(open(os.path.join(artifacts, "rc")).read().strip() == "0", "job %s: rc" % ident)
    events = [json.load(open(path)) for path in sorted(glob.glob(os.path.join(artifacts, "job_events", "*.json")))]
    kinds = set(event.get("event") for event in events)
    check({"playbook_on_start", "runner_on_ok", "playbook_on_stats"} <= kinds, "job %s: events %s" % (ident, kinds))
    stats = [event for event in events if event.get("event") == "playbook_on_stats"][0]["event_data"]
    check(not stats.get("failures") and not stats.get("dark"), "job %s: failures %s" % (ident, stats))
    return artifacts, stats.get("artifact_data") or {}


def check_job_artifacts(ident, job_artifacts, shared, name, outcome):
    """The report published with set_stats, as AWX shows it on the job (and hands to a workflow's next node)."""
    path = os.path.join(shared, "reports", name + ".json")
    check(job_artifacts.get("mbm_report_path") == path, "job %s artifacts: %s" % (ident, job_artifacts))
    hosts = job_artifacts.get("mbm_report_hosts") or {}
    check(all(hosts.get(host) == outcome for host in APPROVED), "job %s artifacts: %s" % (ident, job_artifacts))
    check(job_artifacts.get("mbm_report_summary", {}).get(outcome) == len(APPROVED), "job %s: %s" % (ident, job_artifacts))


def files_under(*tops):
    for top in tops:
        for folder, dummy, names in os.walk(top):
            for name in names:
                yield os.path.join(folder, name)


def report(shared, name):
    data = json.load(open(os.path.join(shared, "reports", name + ".json")))
    return dict((host["host"], host) for host in data["hosts"])


def main():
    bin_dir = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO_ROOT, ".cache", "venvs", "tools", "bin"))
    python = os.path.join(bin_dir, "python")
    work = tempfile.mkdtemp(prefix="mbm-awx-")
    simulator = None
    try:
        # The collection, from the artifact (as an execution environment holds it).
        run(
            [os.path.join(bin_dir, "ansible-galaxy"), "collection", "build", "--force", "--output-path", os.path.join(work, "dist"), REPO_ROOT],
            stdout=subprocess.DEVNULL,
        )
        collections = os.path.join(work, "collections")
        run(
            [os.path.join(bin_dir, "ansible-galaxy"), "collection", "install", "-p", collections] + glob.glob(os.path.join(work, "dist", "*.tar.gz")),
            stdout=subprocess.DEVNULL,
            env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections),
        )

        simulator = Simulator(python, os.path.join(REPO_ROOT, "demo", "fleet.json"), work)
        fixture = json.load(open(os.path.join(REPO_ROOT, "demo", "fleet.json")))
        application = fixture["applications"][0]
        consumer_key = fixture["accounts"][0]["consumerKeys"][0]["consumerKey"]
        credential_type = yaml.safe_load(open(os.path.join(REPO_ROOT, "docs", "awx", "credential_type.yml")))
        credential = awx_env(
            credential_type,
            {
                "endpoint": simulator.url,
                "application_key": application["applicationKey"],
                "application_secret": application["applicationSecret"],
                "consumer_key": consumer_key,
            },
        )
        secrets = [application["applicationSecret"], consumer_key]

        # What the job template sets besides the credential: the client-side rate limit (not a secret).
        envvars = dict(credential, OVH_API_RATE_LIMIT="10000", ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_INVENTORY_UNPARSED_FAILED="true")
        shared = os.path.join(work, "persistent")  # the persistent volume mounted into every job
        os.makedirs(shared, mode=0o700)
        survey = {
            "decommission_approved_services": APPROVED,  # multiple-select survey question
            "decommission_data_exported": "CHG-7: VMs exported to s3://archive (runner test)",
        }
        common = dict(
            survey,
            decommission_state_dir=os.path.join(shared, "state"),
            decommission_report_dir=os.path.join(shared, "reports"),
            decommission_wait_delay=1,
            decommission_wait_timeout=60,
        )

        # The runner itself gets no credential and no config file: a bare HOME, no OVH_* variable.
        home = os.path.join(work, "home")
        os.makedirs(home)
        base_env = dict((k, v) for k, v in os.environ.items() if not k.startswith(("OVH_", "ANSIBLE_")))
        base_env.update(HOME=home, PATH=bin_dir + os.pathsep + base_env.get("PATH", ""))
        for path in ("/etc/ovh.conf", os.path.join(home, ".ovh.conf")):
            check(not os.path.exists(path), "%s exists: the test must not rely on a credential file" % path)

        jobs = os.path.join(work, "jobs")
        plan, job_artifacts = run_job(bin_dir, private_data_dir(jobs, "job-plan", "plan", envvars, common, shared), "plan", "1", base_env)
        check_job_artifacts("1", job_artifacts, shared, "plan-report", "planned")
        calls = simulator.admin("/calls")
        check(not [r for r in calls if r.split(" ")[0] in ("POST", "PUT", "DELETE")], "the plan wrote: %s" % calls)
        hosts = report(shared, "plan-report")
        check(all(hosts[name]["outcome"] == "planned" for name in APPROVED), "plan outcomes %s" % hosts)

        request, job_artifacts = run_job(
            bin_dir,
            private_data_dir(jobs, "job-request", "decommission", envvars, dict(common, decommission_confirm="false"), shared),
            "decommission",
            "2",
            base_env,
        )
        check_job_artifacts("2", job_artifacts, shared, "decommission-report", "requested")
        calls = simulator.admin("/calls")
        check(calls.get(TERMINATE) == len(APPROVED) and not calls.get(CONFIRM), "after the request: %s" % calls)
        hosts = report(shared, "decommission-report")
        check(all(hosts[name]["outcome"] == "requested" for name in APPROVED), "request outcomes %s" % hosts)
        check(hosts["pcc-203-0-113-14"]["outcome"] == "skipped", "unapproved host %s" % hosts["pcc-203-0-113-14"])
        records = glob.glob(os.path.join(shared, "state", "termination", "**", "*.json"), recursive=True)
        check(len(records) >= len(APPROVED), "request records in the shared state_dir: %s" % records)
        check(glob.glob(os.path.join(shared, "state", "ratelimit-*.json")), "no rate-limit window in the shared state_dir")

        confirm, job_artifacts = run_job(
            bin_dir,
            private_data_dir(jobs, "job-confirm", "decommission", envvars, dict(common, decommission_confirm="true"), shared),
            "decommission",
            "3",
            base_env,
        )
        check_job_artifacts("3", job_artifacts, shared, "decommission-report", "confirmed")
        calls = simulator.admin("/calls")
        check(calls.get(TERMINATE) == len(APPROVED), "a second terminate was sent: %s" % calls)
        check(calls.get(CONFIRM) == len(APPROVED), "confirmations: %s" % calls)
        hosts = report(shared, "decommission-report")
        check(all(hosts[name]["outcome"] == "confirmed" for name in APPROVED), "confirm outcomes %s" % hosts)
        audit = [json.loads(line) for line in open(os.path.join(shared, "reports", "audit.jsonl"))]
        written = sorted((entry["phase"], entry["service_name"]) for entry in audit if entry.get("action") == "written")
        check(written == sorted((phase, name) for phase in ("request", "confirm") for name in APPROVED), "audit log writes: %s" % written)

        # No secret anywhere but in the runner's record of the injected environment.
        secrets += [email["token"] for email in simulator.admin("/emails") if email.get("token")]
        check(len(secrets) >= 2 + len(APPROVED), "tokens from /_sim/emails: %s" % len(secrets))
        searched = 0
        for path in files_under(shared, plan, request, confirm):
            if os.path.basename(path) == "command":
                mode = stat.S_IMODE(os.stat(path).st_mode)
                check(mode == 0o600, "%s has mode %o" % (path, mode))
                check(application["applicationSecret"] in open(path).read(), "%s does not show the injected credential: was it injected?" % path)
                continue
            with open(path, "rb") as handle:
                content = handle.read()
            searched += 1
            for secret in secrets:
                check(secret.encode() not in content, "a secret (%s...) is in %s" % (secret[:6], path))
        check(searched > 50, "only %d files searched" % searched)
        print(
            "awx-jobs: OK (3 runner jobs; %d files searched for %d secrets; calls %s)"
            % (searched, len(secrets), dict((k, v) for k, v in calls.items() if k in (TERMINATE, CONFIRM)))
        )
    finally:
        if simulator:
            simulator.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
