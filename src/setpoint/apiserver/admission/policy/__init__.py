"""Admission policies: ValidatingAdmissionPolicy and MutatingAdmissionPolicy (CEL, in-process).

* :mod:`.kinds` -- the four admissionregistration.k8s.io/v1 kinds (defaults, validation);
* :mod:`.source` -- policies and bindings from the watch cache, compiled once per change;
* :mod:`.matching` -- matchConstraints / matchResources (rules, selectors, matchPolicy);
* :mod:`.expressions` -- the CEL activation (object, oldObject, request, params,
  namespaceObject, variables, authorizer) on the CRD rules' interpreter;
* :mod:`.dispatch` -- requests to (policy, binding, param) invocations, params, errors;
* :mod:`.validating`, :mod:`.mutating` -- the two admission plugins.
"""

from __future__ import annotations

from setpoint.apiserver.admission.policy.kinds import resources
from setpoint.apiserver.admission.policy.mutating import MutatingPolicyAdmission
from setpoint.apiserver.admission.policy.validating import ValidatingPolicyAdmission

__all__ = ["MutatingPolicyAdmission", "ValidatingPolicyAdmission", "resources"]
