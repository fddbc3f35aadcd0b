"""A local HTTP server speaking the Qiskit Runtime REST API (install the ``[local]`` extra)."""
