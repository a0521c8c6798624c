"""CEL rules (``x-kubernetes-validations``) on custom resources, in four stages.

* :mod:`.parse` -- a small CEL parser: syntax trees, ``oldSelf`` use;
* :mod:`.library` -- kube's CEL libraries the interpreter lacks, JSON values as CEL values;
* :mod:`.cost` -- static checks and cost estimation against kube's limits (at CRD creation);
* :mod:`.rule`, :mod:`.evaluate` -- rules compiled once per CRD version, run on every write.
"""
