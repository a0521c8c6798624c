"""A simulated kubelet for every Node: nodes that register and heartbeat (:mod:`.nodes`) and
pods played out from their declared behaviour (:mod:`.pods`,
:mod:`setpoint.apimachinery.podbehavior`) -- no containers run."""
