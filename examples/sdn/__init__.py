"""A software-defined network built on setpoint: virtual networks as API objects and controllers.

* :mod:`examples.sdn.api` -- the ``network.setpoint.dev`` kinds (Subnet, NetworkAttachment, IPLock);
* :mod:`examples.sdn.validator` -- invariants between Subnets (one namespace per VNI, no overlap);
* :mod:`examples.sdn.webhook` -- the same rule at admission, where a webhook can run;
* :mod:`examples.sdn.ipam` -- addresses allocated by creating IPLocks, freed by garbage collection;
* :mod:`examples.sdn.agent` -- one per node: a dynamic set of informers, one per local VNI;
* :mod:`examples.sdn.membership` -- which IPAM replicas are alive (Leases), whose share a key is;
* :mod:`examples.sdn.dataplane` -- the tables an agent programs (the interface; in memory);
* :mod:`examples.sdn.linux` -- the same in network namespaces, veths, bridges and VXLAN (root);
* :mod:`examples.sdn.demo`, :mod:`examples.sdn.linuxdemo` -- ``python -m examples.sdn demo|linux``.

See ``docs/sdn.md``.
"""
