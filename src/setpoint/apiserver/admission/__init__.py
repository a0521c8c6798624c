"""kube-apiserver's built-in admission plugins that need more than one object's own fields.

:mod:`.resourcequota` (with the usage evaluators of :mod:`.quota`), :mod:`.limitranger` and
:mod:`.priority`; the request pipeline's seam and the NamespaceLifecycle plugin are in
:mod:`setpoint.apiserver.registry`.
"""
