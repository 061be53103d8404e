"""The session from the command line and ini file: options resolved, outputs checked, the
baseline opened, the A/B workers started when asked for."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from pytest_perfguard.config import options
from pytest_perfguard.config.settings import CONFIGURABLE, session_defaults
from pytest_perfguard.judge.policy import Policy
from pytest_perfguard.measure.environment import current_fingerprint
from pytest_perfguard.measure.machine import current_machine
from pytest_perfguard.plugin import outputs
from pytest_perfguard.plugin.ab_head import in_worker
from pytest_perfguard.plugin.ab_head import start as start_ab
from pytest_perfguard.plugin.instructions import in_instruction_worker, refuse_unusable
from pytest_perfguard.plugin.instructions import start as start_instructions
from pytest_perfguard.plugin.session import PerfSession
from pytest_perfguard.run.gate import Gate, GateOptions
from pytest_perfguard.run.outputs import prepare_output
from pytest_perfguard.run.paired import PairedState
from pytest_perfguard.run.state import RunState

__all__ = ["open_session"]


def open_session(config: pytest.Config) -> PerfSession:
    """Resolve options and open the baseline; a PerfguardError names what is wrong."""
    switches = options.resolve_switches(
        {name: config.getoption(f"perf_{name}") for name in options.SWITCHES},
        {name: config.getini(f"perf_{name}") for name in options.SWITCHES},
    )
    defaults = session_defaults(
        {name: config.getoption(f"perf_{name}") for name in CONFIGURABLE},
        {name: config.getini(f"perf_{name}") for name in CONFIGURABLE},
    )
    keep = options.resolve_keep(config.getoption("perf_keep_runs"), config.getini("perf_keep_runs"))
    cwd = config.invocation_params.dir
    cli_baseline, ini_baseline = (
        config.getoption("perf_baseline"),
        config.getini("perf_baseline"),
    )
    path = options.resolve_baseline_path(cli_baseline, ini_baseline, config.rootpath, cwd)
    if switches.instructions:
        defaults = replace(defaults, instructions=True)
        refuse_unusable(config)  # before any output is prepared: nothing else changes
    base_worker = in_worker() or in_instruction_worker()
    if base_worker:  # an A/B base worker measures on command; head compares and saves
        switches = replace(switches, compare=False, save=False)
    paths = outputs.resolve(config, base_worker)
    worker = hasattr(config, "workerinput")
    if not worker:  # the controller writes every output; checked before anything runs
        outputs.prepare(paths, config)
        if switches.save:
            prepare_output(path, options.baseline_source(cli_baseline, ini_baseline))
    policy = Policy(
        min_effect=defaults.min_effect, strict=switches.strict, warn_only=switches.warn_only
    )
    named = options.resolve_machine(
        config.getoption("perf_machine"),
        config.getini("perf_machine"),
        os.environ.get(options.MACHINE_ENV),
    )
    machine = current_machine(named, create=switches.save)  # a save records this machine
    gate = Gate.open(
        GateOptions(path, switches.compare, switches.save, keep, policy),
        current_fingerprint(machine),
    )
    ab = start_ab(config, policy)
    paired = None
    if ab is not None:
        explicit = bool(config.getoption("perf_min_effect") or config.getini("perf_min_effect"))
        min_effect = defaults.min_effect if explicit else policy.ab_min_effect
        paired = PairedState(ab.tree.label, min_effect, ab.processes)
    state = RunState(defaults, gate, switches, is_worker=worker, ab=paired)
    session = PerfSession(config, state, paths)
    start_instructions(config, session)
    if ab is not None:
        session.start_ab(ab)
    return session
