"""A software-defined network built on setpoint: virtual networks as API objects and controllers.

* :mod:`examples.sdn.api` -- the ``network.setpoint.dev`` kinds (Subnet, NetworkAttachment, IPLock);
* :mod:`examples.sdn.validator` -- invariants between Subnets (one namespace per VNI, no overlap);
* :mod:`examples.sdn.ipam` -- addresses allocated by creating IPLocks, freed by garbage collection;
* :mod:`examples.sdn.agent` -- one per node: a dynamic set of informers, one per local VNI;
* :mod:`examples.sdn.dataplane` -- the tables an agent programs (in memory);
* :mod:`examples.sdn.demo` -- ``python -m examples.sdn demo``.

See ``docs/sdn.md``.
"""
