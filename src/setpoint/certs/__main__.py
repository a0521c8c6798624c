"""``python -m setpoint.certs``: see :mod:`setpoint.certs.cli`."""

from setpoint.certs.cli import main

main(prog_name="python -m setpoint.certs")
