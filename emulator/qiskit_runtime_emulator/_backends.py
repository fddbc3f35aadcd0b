"""The emulated devices and their configuration, properties, status and defaults documents.

The documents have the structure of IBM's own snapshots of these devices (the ``conf_*.json`` and
``props_*.json`` files qiskit-ibm-runtime's fake provider ships: ``ibm_fez`` for Heron r2,
``ibm_pittsburgh`` for Heron r3): the same keys, types and units, ``dt``/``dtm`` in nanoseconds,
Heron timing constraints, the ``supported_instructions`` each snapshot lists, properties with
``reset``, ``rx``, ``rzz`` and ``measure`` entries and a ``general`` block of couplings and layer
fidelities. The values are not copied: the topologies are generated (Heron's heavy-hex lattice of
8 rows of 16 qubits joined by 4 bridge qubits per gap, and a 5-qubit line), and the calibration
numbers are drawn from a seeded generator around typical published medians, so every start of
the emulator produces the same documents.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from ._ids import format_time

__all__ = ["BACKEND_STATES", "Device", "build_devices"]

_BASIS_GATES = ("cz", "id", "rz", "sx", "x")
# In the order the snapshots list them: conf_fez.json (Heron r2) and conf_pittsburgh.json (r3).
_HERON_R2_INSTRUCTIONS = (
    *("cz", "id", "delay", "measure", "reset", "rz", "sx", "x"),
    *("if_else", "for_loop", "switch_case"),
)
_HERON_R3_INSTRUCTIONS = (
    *("cz", "id", "delay", "measure", "measure_2", "reset", "rz", "sx", "x"),
    *("if_else", "store"),
)
# conf_pittsburgh.json's signature of its extra instruction.
_MEASURE_2_SIGNATURE = {
    "description": "A shorter width measurement pulse, intended for use in mid-circuit readout.",
    "name": "measure_2",
    "num_clbits": 1,
    "num_qubits": 1,
    "parameters": [],
    "return_type": "Bool",
}
# Both snapshots: a sample every 4 ns for drive and measurement, no alignment beyond one sample.
_DT_NS = 4.0
_TIMING_CONSTRAINTS = {
    "acquire_alignment": 1,
    "granularity": 1,
    "min_length": 2,
    "pulse_alignment": 1,
}
# The snapshots' layer fidelities: one entry per chain length from 4 to 100 qubits.
_LAYER_FIDELITY_LENGTHS = range(4, 101)
# What GET /v1/backends/{id}/status and the device list say for each state a device can be in.
BACKEND_STATES: dict[str, tuple[bool, str, str]] = {
    # state: (operational, status document's "status", device list's status "name")
    "online": (True, "active", "online"),
    "paused": (False, "paused", "paused"),
    "maintenance": (False, "maintenance", "paused"),
    "offline": (False, "offline", "offline"),
}
_QASM_DEFS = {
    "cz": "gate cz q0, q1 { U(pi/2, 0, pi) q1; CX q0, q1; U(pi/2, 0, pi) q1; }",
    "id": "gate id q { U(0, 0, 0) q; }",
    "rz": "gate rz(theta) q { U(0, 0, theta) q; }",
    "sx": "gate sx q { U(pi/2, 3*pi/2, pi/2) q; }",
    "x": "gate x q { U(pi, 0, pi) q; }",
}


@dataclass(frozen=True)
class _Profile:
    """Medians a device's calibration is drawn around (lengths in ns, multiples of dt)."""

    t1_us: float
    t2_us: float
    readout_error: float
    sx_error: float
    cz_error: float
    sx_length_ns: float
    cz_length_ns: float
    readout_length_ns: float
    reset_length_ns: float


@dataclass(frozen=True)
class Device:
    name: str
    version: str
    description: str
    processor_type: dict[str, str]
    clops: dict[str, Any]
    online_date: str
    supported_instructions: tuple[str, ...]
    supported_features: tuple[str, ...]
    rep_delay_range: tuple[float, float]
    coords: tuple[tuple[int, int], ...]
    edges: tuple[tuple[int, int], ...]
    t1: tuple[float, ...]
    t2: tuple[float, ...]
    frequency: tuple[float, ...]
    anharmonicity: tuple[float, ...]
    prob_meas1_prep0: tuple[float, ...]
    prob_meas0_prep1: tuple[float, ...]
    sx_error: tuple[float, ...]
    cz_error: tuple[float, ...]
    coupling_ghz: tuple[float, ...]
    zz_ghz: tuple[float, ...]
    profile: _Profile
    calibrated_at: datetime

    @property
    def n_qubits(self) -> int:
        return len(self.coords)

    def readout_error(self, qubit: int) -> float:
        return (self.prob_meas1_prep0[qubit] + self.prob_meas0_prep1[qubit]) / 2

    def directed_edges(self) -> list[list[int]]:
        # CZ is symmetric; IBM lists both directions in coupling maps.
        return [list(pair) for a, b in self.edges for pair in ((a, b), (b, a))]

    def _measurements(self) -> tuple[str, ...]:
        return tuple(n for n in self.supported_instructions if n.startswith("measure"))

    def configuration(self) -> dict[str, Any]:
        single = [[q] for q in range(self.n_qubits)]
        coupling_map = self.directed_edges()
        gates: list[dict[str, Any]] = [
            {
                "name": name,
                "parameters": ["theta"] if name == "rz" else [],
                "qasm_def": _QASM_DEFS[name],
                "coupling_map": coupling_map if name == "cz" else single,
            }
            for name in ("id", "rz", "sx", "x", "cz")
        ]
        gates += [
            {"name": name, "parameters": [], "qasm_def": None, "coupling_map": single}
            # r3 snapshots list the measurements as gates too; r2 snapshots stop at reset.
            for name in ("reset", *self._measurements())
            if name == "reset" or "measure_2" in self.supported_instructions
        ]
        family, revision = self.processor_type["family"], self.processor_type["revision"]
        doc: dict[str, Any] = {
            "backend_name": self.name,
            "backend_version": self.version,
            "n_qubits": self.n_qubits,
            "basis_gates": list(_BASIS_GATES),
            "gates": gates,
            "local": False,
            "simulator": False,
            "conditional": False,
            "open_pulse": False,
            "memory": True,
            "max_shots": 100000,
            "max_experiments": 300,
            "coupling_map": coupling_map,
            "coords": [list(c) for c in self.coords],
            "online_date": self.online_date,
            "u_channel_lo": [],
            "supported_instructions": list(self.supported_instructions),
            "supported_features": list(self.supported_features),
            "meas_map": [list(range(self.n_qubits))],
            "rep_delay_range": list(self.rep_delay_range),
            # The snapshots write 250.0 and 4.0; the spec types both as int32: the same numbers.
            "default_rep_delay": 250,
            "dt": int(_DT_NS),
            "dtm": int(_DT_NS),
            "dynamic_reprate_enabled": True,
            "measure_esp_enabled": False,
            "multi_meas_enabled": True,
            "parallel_compilation": True,
            "allow_q_object": True,
            "credits_required": True,
            "description": self.description,
            # Heron snapshots name the family and revision; older devices just the family.
            "sample_name": f"family: {family}, revision: {revision}"
            if family == "Heron"
            else family,
            "processor_type": dict(self.processor_type),
            "clops_h": self.clops["value"],
            "n_registers": 1,
            "timing_constraints": dict(_TIMING_CONSTRAINTS),
        }
        if "measure_2" in self.supported_instructions:
            doc["instruction_signatures"] = [dict(_MEASURE_2_SIGNATURE)]
        return doc

    def properties(self) -> dict[str, Any]:
        # NDUV dates are 24 characters (milliseconds) and last_update_date 20 (seconds), as the
        # spec's length limits require.
        date = format_time(self.calibrated_at)
        last_update = date[:19] + "Z"
        profile = self.profile

        def nduv(name: str, value: float, unit: str) -> dict[str, Any]:
            return {"date": date, "name": name, "unit": unit, "value": value}

        def gate(name: str, qubits: list[int], error: float | None, length: float) -> Any:
            parameters = [] if error is None else [nduv("gate_error", error, "")]
            parameters.append(nduv("gate_length", length, "ns"))
            label = "_".join(map(str, qubits))
            return {"qubits": qubits, "gate": name, "parameters": parameters, "name": name + label}

        qubits = [
            [
                nduv("T1", self.t1[q], "us"),
                nduv("T2", self.t2[q], "us"),
                nduv("readout_error", self.readout_error(q), ""),
                nduv("prob_meas0_prep1", self.prob_meas0_prep1[q], ""),
                nduv("prob_meas1_prep0", self.prob_meas1_prep0[q], ""),
                nduv("readout_length", profile.readout_length_ns, "ns"),
            ]
            for q in range(self.n_qubits)
        ]
        gates = []
        for q in range(self.n_qubits):
            for name in ("id", "rx", "rz", "sx", "x"):
                virtual = name == "rz"
                error = 0.0 if virtual else self.sx_error[q]
                gates.append(gate(name, [q], error, 0.0 if virtual else profile.sx_length_ns))
        for name in ("cz", "rzz"):
            for index, (a, b) in enumerate(self.edges):
                for pair in ([a, b], [b, a]):
                    gates.append(gate(name, pair, self.cz_error[index], profile.cz_length_ns))
        for q in range(self.n_qubits):
            gates.append(gate("reset", [q], None, profile.reset_length_ns))
        if "measure_2" in self.supported_instructions:
            # The shorter mid-circuit readout: faster, a little less faithful.
            for q in range(self.n_qubits):
                error = min(0.5, self.readout_error(q) * 1.3)
                gates.append(gate("measure_2", [q], error, profile.readout_length_ns / 2))
        for q in range(self.n_qubits):
            gates.append(gate("measure", [q], self.readout_error(q), profile.readout_length_ns))
        general = []
        for index, (a, b) in enumerate(self.edges):
            general.append(nduv(f"jq_{a}{b}", self.coupling_ghz[index], "GHz"))
            general.append(nduv(f"zz_{a}{b}", self.zz_ghz[index], "GHz"))
        qlists = []
        chain = self._snake()
        for length in _LAYER_FIDELITY_LENGTHS:
            if length > len(chain):
                break
            general.append(nduv(f"lf_{length}", self._layer_fidelity(chain[:length]), ""))
            qlists.append({"name": f"lf_{length}", "qubits": chain[:length]})
        return {
            "backend_name": self.name,
            "backend_version": self.version,
            "last_update_date": last_update,
            "qubits": qubits,
            "gates": gates,
            "general": general,
            "general_qlists": qlists,
        }

    def _snake(self) -> list[int]:
        """A chain of up to 100 coupled qubits, along rows first (layer fidelity's path)."""
        neighbours: dict[int, list[int]] = {q: [] for q in range(self.n_qubits)}
        for a, b in self.edges:
            neighbours[a].append(b)
            neighbours[b].append(a)
        target = min(self.n_qubits, _LAYER_FIDELITY_LENGTHS[-1])
        row = {q: self.coords[q][0] for q in range(self.n_qubits)}
        # Depth-first with backtracking: along the current row, then down; dead ends unwind.
        chain = [0]
        options = [self._next_steps(0, neighbours, row, {0})]
        while len(chain) < target and options:
            if not options[-1]:
                options.pop()
                chain.pop()
                continue
            step = options[-1].pop(0)
            chain.append(step)
            options.append(self._next_steps(step, neighbours, row, set(chain)))
        return chain

    @staticmethod
    def _next_steps(
        qubit: int, neighbours: dict[int, list[int]], row: dict[int, int], used: set[int]
    ) -> list[int]:
        free = [q for q in neighbours[qubit] if q not in used]
        return sorted(free, key=lambda q: (row[q] != row[qubit], row[q] < row[qubit], q))

    def _layer_fidelity(self, chain: list[int]) -> float:
        index = {edge: i for i, edge in enumerate(self.edges)}
        fidelity = 1.0
        for a, b in itertools.pairwise(chain):
            fidelity *= 1 - self.cz_error[index[(min(a, b), max(a, b))]]
        for q in chain:
            fidelity *= (1 - self.sx_error[q]) ** 2
        return round(fidelity, 6)

    def defaults(self) -> dict[str, Any]:
        return {
            "qubit_freq_est": list(self.frequency),
            "meas_freq_est": [7.2 + 0.01 * (q % 10) for q in range(self.n_qubits)],
            "buffer": 0,
            "pulse_library": [],
            "cmd_def": [],
        }

    def status(self, queue_length: int, state: str = "online", reason: str | None = None) -> Any:
        """The ``GET /v1/backends/{id}/status`` document for a device in ``state``."""
        operational, status, _ = BACKEND_STATES[state]
        return {
            "state": operational,
            "status": status,
            "message": reason or ("available" if operational else state),
            "length_queue": queue_length,
            "backend_version": self.version,
        }

    def summary(
        self,
        queue_length: int,
        *,
        wait_times: bool,
        state: str = "online",
        reason: str | None = None,
    ) -> dict[str, Any]:
        """One entry of ``GET /v1/backends``."""
        readout = sorted(self.readout_error(q) for q in range(self.n_qubits))
        best = int(np.argmin(self.cz_error))
        operational, _, listed = BACKEND_STATES[state]
        entry: dict[str, Any] = {
            "name": self.name,
            "status": {"name": listed, "reason": reason or ("available" if operational else state)},
            "is_simulator": False,
            "qubits": self.n_qubits,
            "clops": dict(self.clops),
            "processor_type": dict(self.processor_type),
            "queue_length": queue_length,
            "performance_metrics": {
                "two_q_error_best": {
                    "value": float(self.cz_error[best]),
                    "gate": "cz",
                    "unit": "",
                    "qubits": list(self.edges[best]),
                },
                "two_q_error_layered": {"value": float(np.mean(self.cz_error)) * 1.6, "unit": ""},
                "two_q_error_median": {"value": float(np.median(self.cz_error)), "unit": ""},
                "readout_error_median": {"value": float(np.median(readout)), "unit": ""},
            },
        }
        if wait_times:
            average = 5 * queue_length
            entry["wait_time_seconds"] = {"average": average, "p50": average, "p95": 3 * average}
        return entry


def _heron_lattice() -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    """156 qubits: 8 rows of 16, and 4 bridge qubits between consecutive rows.

    Numbering runs row by row, each row followed by its bridges (row b starts at 20*b); bridges
    sit on columns 3, 7, 11, 15 below even rows and 1, 5, 9, 13 below odd rows.
    """
    coords: dict[int, tuple[int, int]] = {}
    edges: list[tuple[int, int]] = []
    rows, width = 8, 16
    for row in range(rows):
        base = 20 * row
        for col in range(width):
            coords[base + col] = (2 * row, col)
            if col:
                edges.append((base + col - 1, base + col))
        if row == rows - 1:
            break
        columns = (3, 7, 11, 15) if row % 2 == 0 else (1, 5, 9, 13)
        for k, col in enumerate(columns):
            bridge = base + width + k
            coords[bridge] = (2 * row + 1, col)
            edges.append((base + col, bridge))
            edges.append((bridge, base + 20 + col))
    ordered = tuple(coords[q] for q in range(len(coords)))
    return ordered, tuple(sorted(edges))


def _line(n: int) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    return tuple((0, q) for q in range(n)), tuple((q, q + 1) for q in range(n - 1))


def _draw(rng: np.random.Generator, median: float, spread: float, size: int) -> np.ndarray:
    """Log-normal values around a median: error rates and coherence times are skewed."""
    return median * np.exp(rng.normal(0.0, spread, size))


def _make_device(
    name: str,
    *,
    seed: int,
    lattice: tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]],
    profile: _Profile,
    processor_type: dict[str, str],
    clops: dict[str, Any],
    version: str,
    online_date: str,
    supported_instructions: tuple[str, ...],
    supported_features: tuple[str, ...],
    rep_delay_range: tuple[float, float],
    calibrated_at: datetime,
) -> Device:
    coords, edges = lattice
    n = len(coords)
    rng = np.random.default_rng(seed)
    t1 = np.clip(_draw(rng, profile.t1_us, 0.35, n), 20.0, 600.0)
    t2 = np.minimum(np.clip(_draw(rng, profile.t2_us, 0.5, n), 5.0, 600.0), 2 * t1)
    frequency = 4.6 + 0.4 * rng.random(n)
    anharmonicity = -0.31 + 0.01 * rng.standard_normal(n)
    readout = np.clip(_draw(rng, profile.readout_error, 0.6, n), 0.002, 0.25)
    # Relaxation during readout makes 1 -> 0 flips more likely than 0 -> 1.
    p10 = np.clip(readout * 1.4, 0.0, 0.5)
    p01 = np.clip(readout * 0.6, 0.0, 0.5)
    sx = np.clip(_draw(rng, profile.sx_error, 0.5, n), 5e-5, 0.05)
    cz = np.clip(_draw(rng, profile.cz_error, 0.45, len(edges)), 5e-4, 0.2)
    coupling = _draw(rng, 5.5e-4, 0.3, len(edges))
    zz = _draw(rng, 4.5e-6, 0.4, len(edges))

    def rounded(values: np.ndarray, digits: int = 6) -> tuple[float, ...]:
        return tuple(round(float(v), digits) for v in values)

    return Device(
        name=name,
        version=version,
        description=f"{n} qubit device",
        processor_type=processor_type,
        clops=clops,
        online_date=online_date,
        supported_instructions=supported_instructions,
        supported_features=supported_features,
        rep_delay_range=rep_delay_range,
        coords=coords,
        edges=edges,
        t1=rounded(t1, 3),
        t2=rounded(t2, 3),
        frequency=rounded(frequency),
        anharmonicity=rounded(anharmonicity),
        prob_meas1_prep0=rounded(p01),
        prob_meas0_prep1=rounded(p10),
        sx_error=rounded(sx, 8),
        cz_error=rounded(cz, 8),
        coupling_ghz=rounded(coupling, 9),
        zz_ghz=rounded(zz, 11),
        profile=profile,
        calibrated_at=calibrated_at,
    )


def build_devices(calibrated_at: datetime) -> dict[str, Device]:
    """The emulated fleet, least busy first when queues are equal."""
    heron = _heron_lattice()
    devices = [
        _make_device(
            "ibm_fez",
            seed=156_2,
            lattice=heron,
            profile=_Profile(145.0, 95.0, 0.014, 2.8e-4, 3.0e-3, 24.0, 84.0, 1560.0, 1584.0),
            processor_type={"family": "Heron", "revision": "2"},
            clops={"type": "virtual", "value": 195000},
            version="1.3.21",
            online_date="2024-06-27T04:00:00.000Z",
            supported_instructions=_HERON_R2_INSTRUCTIONS,
            supported_features=("qobj", "parameters", "qasm3"),
            rep_delay_range=(0.0, 500.0),
            calibrated_at=calibrated_at,
        ),
        _make_device(
            "ibm_pittsburgh",
            seed=156_3,
            lattice=heron,
            profile=_Profile(260.0, 170.0, 0.009, 1.8e-4, 1.9e-3, 32.0, 88.0, 2584.0, 2616.0),
            processor_type={"family": "Heron", "revision": "3"},
            clops={"type": "virtual", "value": 250000},
            version="1.0.9",
            online_date="2025-08-12T04:00:00.000Z",
            supported_instructions=_HERON_R3_INSTRUCTIONS,
            supported_features=("qobj", "qasm3", "dynamic_circuits", "parameters"),
            rep_delay_range=(0.0, 2000.0),
            calibrated_at=calibrated_at,
        ),
        _make_device(
            "ibm_emulator",
            seed=5,
            lattice=_line(5),
            profile=_Profile(120.0, 80.0, 0.02, 3.5e-4, 7.0e-3, 36.0, 84.0, 1800.0, 1840.0),
            processor_type={"family": "Falcon", "revision": "5.11", "segment": "L"},
            clops={"type": "hardware", "value": 2900},
            version="1.0.0",
            online_date="2024-01-15T04:00:00.000Z",
            supported_instructions=_HERON_R2_INSTRUCTIONS,
            supported_features=("qobj", "parameters", "qasm3"),
            rep_delay_range=(0.0, 500.0),
            calibrated_at=calibrated_at,
        ),
    ]
    return {device.name: device for device in devices}
